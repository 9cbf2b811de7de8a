'use strict';
// Unit cases of the validator: it must reject broken objects, and its renderer must do what
// kustomize does for the features deploy/ uses.   node --test test/validate.test.js

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const { KustomizeError, applyJsonPatch, configMapHash, parseFieldPath, parseImage, render } = require('../kustomize');
const { labelSelectorMatches, productionErrors, redisBytes, schemaErrors, semanticErrors, triggerErrors } = require('../schemas');
const { compareWithKubectl, onPath } = require('../validate');

const PRODUCTION = path.join(__dirname, '..', '..', 'overlays', 'production');

const VALIDATE = path.join(__dirname, '..', 'validate.js');

function deployment(overrides = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'decoder-svc' },
    spec: {
      selector: { matchLabels: { app: 'decoder' } },
      template: {
        metadata: { labels: { app: 'decoder' } },
        spec: { containers: [{ name: 'decoder-svc', image: 'unclip/decoder-svc:1' }] },
      },
      ...overrides,
    },
  };
}

function scaledObject(triggers, spec = {}) {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'decoder-svc' },
    spec: { scaleTargetRef: { name: 'decoder-svc' }, minReplicaCount: 1, maxReplicaCount: 4, triggers, ...spec },
  };
}

const PROMETHEUS = {
  type: 'prometheus',
  metadata: { serverAddress: 'http://prometheus.monitoring.svc:9090', query: 'sum(unclip_stage_calls_in_flight)', threshold: '16' },
};

/** A kustomization folder in a temporary directory: { 'kustomization.yaml': text, ... }. */
function fixture(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unclip-validate-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

// ---------------------------------------------------------------------------- schemas

test('a valid Deployment passes its schema', () => {
  assert.deepEqual(schemaErrors(deployment()), []);
});

test('a Deployment with a string replica count fails its schema', () => {
  const errors = schemaErrors(deployment({ replicas: 'two' }));
  assert.ok(errors.some((e) => e.includes('/spec/replicas') && e.includes('integer')), errors.join('\n'));
});

test('a Deployment without containers fails its schema', () => {
  const broken = deployment();
  delete broken.spec.template.spec.containers;
  assert.ok(schemaErrors(broken).some((e) => e.includes('containers')));
});

test('a wrong apiVersion for a kind has no schema', () => {
  const broken = { ...deployment(), apiVersion: 'apps/v2' };
  assert.match(schemaErrors(broken)[0], /no schema known for apiVersion apps\/v2 kind Deployment/);
});

test('an unknown kind has no schema', () => {
  assert.match(schemaErrors({ apiVersion: 'v1', kind: 'Container', metadata: { name: 'x' } })[0], /no schema known/);
});

test('a valid ScaledObject passes the KEDA schema', () => {
  assert.deepEqual(schemaErrors(scaledObject([PROMETHEUS])), []);
});

test('a ScaledObject with a numeric threshold fails the KEDA schema', () => {
  const trigger = { ...PROMETHEUS, metadata: { ...PROMETHEUS.metadata, threshold: 16 } };
  const errors = schemaErrors(scaledObject([trigger]));
  assert.ok(errors.some((e) => e.includes('/spec/triggers/0/metadata/threshold')), errors.join('\n'));
});

test('a ScaledObject without triggers fails the KEDA schema', () => {
  const broken = scaledObject(undefined);
  delete broken.spec.triggers;
  assert.ok(schemaErrors(broken).some((e) => e.includes('triggers')));
});

test('an HPA without maxReplicas fails its schema', () => {
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'decoder-svc' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'decoder-svc' } },
  };
  assert.ok(schemaErrors(hpa).some((e) => e.includes('maxReplicas')));
});

// ---------------------------------------------------------------------------- rules beyond the schemas

test('KEDA trigger metadata is checked per trigger type', () => {
  assert.deepEqual(triggerErrors(PROMETHEUS), []);
  assert.ok(triggerErrors({ type: 'prometheus', metadata: { query: 'q', threshold: '1' } })
    .some((e) => e.includes('serverAddress is missing')));
  assert.ok(triggerErrors({ type: 'prometheus', metadata: { serverAddress: 'set-in-params.env', query: 'q', threshold: 'x' } })
    .some((e) => e.includes('not an http(s) URL')));
  const redis = { address: 'redis.default.svc:6379', stream: 'unclip:jobs', consumerGroup: 'unclip-workers', lagCount: '16' };
  assert.deepEqual(triggerErrors({ type: 'redis-streams', metadata: redis }), []);
  assert.ok(triggerErrors({ type: 'redis-streams', metadata: { ...redis, pendingEntriesCount: '5' } })
    .some((e) => e.includes('exactly one of')));
  assert.ok(triggerErrors({ type: 'redis-streams', metadata: { ...redis, consumerGroup: undefined } })
    .some((e) => e.includes('consumerGroup')));
  assert.ok(triggerErrors({ type: 'redis-streams', metadata: { ...redis, address: 'redis://redis:6379' } })
    .some((e) => e.includes('host:port')));
});

test('an autoscaled Deployment must leave its replicas to the autoscaler', () => {
  const errors = semanticErrors([deployment({ replicas: 1 }), scaledObject([PROMETHEUS])]);
  assert.ok(errors.some((e) => e.includes('sets spec.replicas')), errors.join('\n'));
  assert.deepEqual(semanticErrors([deployment(), scaledObject([PROMETHEUS])]), []);
});

test('an autoscaler must target a workload of the build, and only one autoscaler a workload', () => {
  const missing = scaledObject([PROMETHEUS]);
  missing.spec.scaleTargetRef.name = 'decoder';
  assert.ok(semanticErrors([deployment(), missing]).some((e) => e.includes('is not in the build')));
  const hpa = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'decoder-svc' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'decoder-svc' }, maxReplicas: 3 },
  };
  assert.ok(semanticErrors([deployment(), scaledObject([PROMETHEUS]), hpa]).some((e) => e.includes('scaled by')));
});

test('a selector that misses the pod template is refused', () => {
  const broken = deployment();
  broken.spec.template.metadata.labels = { app: 'other' };
  assert.ok(semanticErrors([broken]).some((e) => e.includes('does not match the pod template')));
  const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { selector: { app: 'nothing' } } };
  assert.ok(semanticErrors([deployment(), service]).some((e) => e.includes('selects no pod template')));
});

function redisSet({ maxmemory = '600mb', limit = '1Gi', serviceName = 'redis-headless' } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'redis' },
    spec: {
      serviceName,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'redis' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'redis' } },
        spec: {
          containers: [{
            name: 'redis',
            image: 'redis:7.2-alpine',
            args: ['--maxmemory', maxmemory],
            resources: { limits: { memory: limit } },
          }],
        },
      },
    },
  };
}

function service(name, selector, spec = {}) {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ...spec } };
}

test('a StatefulSet needs a headless governing Service of the build that selects its pods', () => {
  const labels = { 'app.kubernetes.io/name': 'redis' };
  assert.deepEqual(semanticErrors([redisSet(), service('redis-headless', labels, { clusterIP: 'None' })]), []);
  assert.ok(semanticErrors([redisSet(), service('redis-headless', labels)]).some((e) => e.includes('is not headless')));
  assert.ok(semanticErrors([redisSet({ serviceName: 'nothing' }), service('redis-headless', labels, { clusterIP: 'None' })])
    .some((e) => e.includes('serviceName nothing names no Service')));
});

test('Redis\' maxmemory must leave a third of its memory limit free', () => {
  const headless = service('redis-headless', { 'app.kubernetes.io/name': 'redis' }, { clusterIP: 'None' });
  assert.equal(redisBytes('600mb'), 600 * 2 ** 20);
  assert.equal(redisBytes('1g'), 1e9);
  assert.deepEqual(semanticErrors([redisSet(), headless]), []);
  assert.ok(semanticErrors([redisSet({ maxmemory: '768mb' }), headless]).some((e) => e.includes('75 % of the memory limit 1Gi')));
  assert.ok(semanticErrors([redisSet({ maxmemory: '700mb', limit: '1Gi' }), headless]).some((e) => e.includes('at most 65 %')));
  assert.ok(semanticErrors([redisSet({ maxmemory: 'lots' }), headless]).some((e) => e.includes('is not a Redis memory size')));
});

test('PodDisruptionBudgets and NetworkPolicies must select pods of the build, by names the pods declare', () => {
  const budget = (selector) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { minAvailable: 1, selector } });
  assert.deepEqual(semanticErrors([deployment(), budget({ matchLabels: { app: 'decoder' } })]), []);
  assert.ok(semanticErrors([deployment(), budget({ matchLabels: { app: 'gone' } })]).some((e) => e.includes('PodDisruptionBudget b: selector')));
  const policy = (podSelector, ingress) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec: { podSelector, ingress } });
  assert.deepEqual(semanticErrors([deployment(), policy({ matchExpressions: [{ key: 'app', operator: 'In', values: ['decoder'] }] }, [])]), []);
  assert.ok(semanticErrors([deployment(), policy({ matchLabels: { app: 'x' } }, [])]).some((e) => e.includes('podSelector')));
  assert.ok(semanticErrors([deployment(), policy({}, [{ from: [{ podSelector: { matchLabels: { app: 'x' } } }] }])])
    .some((e) => e.includes('ingress[0].from[0].podSelector selects no pod')));
  assert.ok(semanticErrors([deployment(), policy({}, [{ from: [{ podSelector: {} }], ports: [{ port: 'grpc' }] }])])
    .some((e) => e.includes('names port grpc, which Deployment decoder-svc does not declare')));
  assert.ok(labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, { a: '2' }));
  assert.ok(!labelSelectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}));
});

// ---------------------------------------------------------------------------- production rules

test('the production overlay meets the production rules', () => {
  assert.deepEqual(productionErrors(render(PRODUCTION)), []);
});

test('the production rules catch a build that drops a PDB, opens Redis, runs SNAPSHOT images or sends no password', () => {
  const objects = () => render(PRODUCTION);
  const find = (list, kind, name) => list.find((o) => o.kind === kind && o.metadata.name === name);

  const noBudget = objects().filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'prior-svc'));
  assert.ok(productionErrors(noBudget).some((e) => e === 'Deployment prior-svc: needs one PodDisruptionBudget selecting its pods alone, has 0'));

  const openRedis = objects();
  find(openRedis, 'NetworkPolicy', 'redis-from-gateway').spec.ingress[0].from.push({ namespaceSelector: {} });
  assert.ok(productionErrors(openRedis).some((e) => e.startsWith('NetworkPolicy redis-from-gateway: ingress[0] opens redis of StatefulSet redis to more than the gateway')));

  const wideStages = objects();
  find(wideStages, 'NetworkPolicy', 'stages-from-gateway').spec.ingress[0].from[0].podSelector = { matchLabels: { 'app.kubernetes.io/part-of': 'unclip-mesh' } };
  assert.ok(productionErrors(wideStages).some((e) => e.includes('opens grpc of Deployment decoder-svc to more than the gateway')));

  const blocked = objects().filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'stages-from-gateway'));
  assert.ok(productionErrors(blocked).some((e) => e === 'Deployment decoder-svc: no NetworkPolicy lets the gateway reach its port grpc'));

  const unisolated = objects().filter((o) => o.kind !== 'NetworkPolicy');
  assert.ok(productionErrors(unisolated).some((e) => e.includes('StatefulSet redis: no NetworkPolicy selects its pods')));

  const snapshot = objects();
  find(snapshot, 'Deployment', 'gateway').spec.template.spec.containers[0].image = 'unclip/gateway:0.1.0-SNAPSHOT';
  assert.ok(productionErrors(snapshot).some((e) => e.includes('runs the SNAPSHOT image unclip/gateway:0.1.0-SNAPSHOT')));

  const oneReplica = objects();
  find(oneReplica, 'Deployment', 'decoder-svc').spec.replicas = 1;
  assert.ok(productionErrors(oneReplica).some((e) => e.includes('Deployment decoder-svc: runs 1 replica(s)')));

  const noPassword = objects();
  find(noPassword, 'StatefulSet', 'redis').spec.template.spec.containers[0].command = ['redis-server'];
  assert.ok(productionErrors(noPassword).some((e) => e.startsWith('StatefulSet redis: requires no password')));

  const noZones = objects();
  find(noZones, 'Deployment', 'prior-svc').spec.template.spec.topologySpreadConstraints.pop();
  assert.ok(productionErrors(noZones).some((e) => e.includes('prior-svc: has no topologySpreadConstraint over topology.kubernetes.io/zone')));
});

test('validate.js applies the production rules with --production', () => {
  const dir = fixture({ 'kustomization.yaml': 'resources: [app.yaml]\n', 'app.yaml': YAMLText(deployment()) });
  const plain = spawnSync(process.execPath, [VALIDATE, '--no-kubectl', dir], { encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stdout + plain.stderr);
  const production = spawnSync(process.execPath, [VALIDATE, '--no-kubectl', '--production', dir], { encoding: 'utf8' });
  assert.equal(production.status, 1, production.stdout + production.stderr);
  assert.match(production.stdout, /production: no gateway workload/);
});

// ---------------------------------------------------------------------------- the renderer

test('images: newName, newTag and digest, as kustomize sets them', () => {
  assert.deepEqual(parseImage('registry:5000/unclip/gateway:1.0@sha256:ab'), { name: 'registry:5000/unclip/gateway', tag: '1.0', digest: 'sha256:ab' });
  const digest = `sha256:${'a'.repeat(64)}`;
  const app = (name, image) => deployment({ template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }], initContainers: [{ name: 'init', image }] } }, selector: { matchLabels: { app: name } } });
  const named = (object, name) => ({ ...object, metadata: { name } });
  const dir = fixture({
    'kustomization.yaml': [
      'resources: [app.yaml]',
      'images:',
      '  - name: unclip/a',
      '    newName: registry.example.com/unclip/a',
      `    digest: ${digest}`,
      '  - name: unclip/b',
      '    newTag: "2.0"',
      '  - name: unclip/c',
      '    newName: registry.example.com/c',
      '    newTag: "3.0"',
      `    digest: ${digest}`,
    ].join('\n'),
    'app.yaml': [
      YAMLText(named(app('a', 'unclip/a:1.0-SNAPSHOT'), 'a')),
      YAMLText(named(app('b', 'unclip/b:1.0'), 'b')),
      YAMLText(named(app('c', 'unclip/c'), 'c')),
      YAMLText(named(app('d', 'unclip/ab:1.0'), 'd')),
    ].join('---\n'),
  });
  const objects = render(dir);
  const image = (name) => objects.find((o) => o.metadata.name === name).spec.template.spec;
  assert.equal(image('a').containers[0].image, `registry.example.com/unclip/a@${digest}`);
  assert.equal(image('a').initContainers[0].image, `registry.example.com/unclip/a@${digest}`);
  assert.equal(image('b').containers[0].image, 'unclip/b:2.0');
  assert.equal(image('c').containers[0].image, `registry.example.com/c:3.0@${digest}`);
  assert.equal(image('d').containers[0].image, 'unclip/ab:1.0');
  if (onPath('kubectl') && process.env.UNCLIP_VALIDATE_KUBECTL !== '0') {
    assert.deepEqual(compareWithKubectl(dir, objects), []);
  }
  assert.throws(() => render(fixture({ 'kustomization.yaml': 'images:\n  - name: x\n    newTag: 2\n' })), /newTag must be a string/);
});

test('ConfigMap hashes are kustomize\'s', () => {
  // deploy/k8s/stages.env as it was when kubectl kustomize named it unclip-stages-8kc4585682
  const data = {
    QUARKUS_HTTP_HOST: '0.0.0.0',
    QUARKUS_GRPC_SERVER_HOST: '0.0.0.0',
    UNCLIP_FAMILY_DIR: '/models/shapes-tiny',
    UNCLIP_ONNX_THREADS: '2',
  };
  assert.equal(configMapHash({ data }), '8kc4585682');
});

test('JSON 6902 add, remove and replace; a missing path is an error', () => {
  const patched = applyJsonPatch(deployment({ replicas: 2 }), [
    { op: 'remove', path: '/spec/replicas' },
    { op: 'add', path: '/spec/template/spec/containers/0/env', value: [] },
    { op: 'add', path: '/spec/template/spec/containers/0/env/-', value: { name: 'A', value: '1' } },
    { op: 'replace', path: '/metadata/name', value: 'renamed' },
  ], 'test');
  assert.equal(patched.spec.replicas, undefined);
  assert.deepEqual(patched.spec.template.spec.containers[0].env, [{ name: 'A', value: '1' }]);
  assert.equal(patched.metadata.name, 'renamed');
  assert.throws(() => applyJsonPatch(deployment(), [{ op: 'remove', path: '/spec/replicas' }], 'test'), KustomizeError);
  assert.throws(() => applyJsonPatch(deployment(), [{ op: 'move', from: '/a', path: '/b' }], 'test'), /not supported/);
});

test('field paths split on dots outside brackets', () => {
  assert.deepEqual(parseFieldPath('spec.triggers.[type=prometheus].metadata.serverAddress', 'test'),
    ['spec', 'triggers', '[type=prometheus]', 'metadata', 'serverAddress']);
});

test('render: generators, hashes and references, labels, patches, replacements, local config', () => {
  const dir = fixture({
    'base/kustomization.yaml': [
      'resources: [app.yaml]',
      'labels:',
      '  - pairs: {part-of: mesh}',
      '    includeTemplates: true',
      'configMapGenerator:',
      '  - name: settings',
      '    envs: [settings.env]',
    ].join('\n'),
    'base/settings.env': '# comment\nA=1\n',
    'base/app.yaml': YAMLText(deployment({
      replicas: 2,
      template: {
        metadata: { labels: { app: 'decoder' } },
        spec: { containers: [{ name: 'decoder-svc', image: 'i', envFrom: [{ configMapRef: { name: 'settings' } }] }] },
      },
    })),
    'overlay/kustomization.yaml': [
      'resources: [../base, so.yaml]',
      'configMapGenerator:',
      '  - name: settings',
      '    behavior: merge',
      '    literals: [B=2]',
      '  - name: params',
      '    literals: [address=http://prometheus.monitoring.svc:80]',
      '    options:',
      '      annotations: {config.kubernetes.io/local-config: "true"}',
      'patches:',
      '  - target: {kind: Deployment}',
      '    patch: |-',
      '      - op: remove',
      '        path: /spec/replicas',
      'replacements:',
      '  - source: {kind: ConfigMap, name: params, fieldPath: data.address}',
      '    targets:',
      '      - select: {kind: ScaledObject}',
      '        fieldPaths:',
      '          - spec.triggers.[type=prometheus].metadata.serverAddress',
    ].join('\n'),
    'overlay/so.yaml': YAMLText(scaledObject([{ ...PROMETHEUS, metadata: { ...PROMETHEUS.metadata, serverAddress: 'x' } }])),
  });
  const objects = render(path.join(dir, 'overlay'));
  const kinds = objects.map((o) => o.kind).sort();
  assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'ScaledObject'], 'the local-config ConfigMap is dropped');
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  assert.deepEqual(configMap.data, { A: '1', B: '2' });
  assert.equal(configMap.metadata.name, `settings-${configMapHash(configMap)}`);
  assert.deepEqual(configMap.metadata.labels, { 'part-of': 'mesh' });
  const app = objects.find((o) => o.kind === 'Deployment');
  assert.equal(app.spec.replicas, undefined);
  assert.equal(app.spec.template.spec.containers[0].envFrom[0].configMapRef.name, configMap.metadata.name);
  assert.equal(app.spec.template.metadata.labels['part-of'], 'mesh');
  assert.deepEqual(app.spec.selector.matchLabels, { app: 'decoder' }, 'selectors are left alone');
  const so = objects.find((o) => o.kind === 'ScaledObject');
  assert.equal(so.spec.triggers[0].metadata.serverAddress, 'http://prometheus.monitoring.svc:80');
  assert.equal(so.metadata.labels, undefined, 'the base\'s labels stay on the base\'s objects');
  if (onPath('kubectl')) {
    assert.deepEqual(compareWithKubectl(path.join(dir, 'overlay'), objects), [], 'the same as kubectl kustomize');
  }
});

test('render refuses what it does not implement', () => {
  const dir = fixture({ 'kustomization.yaml': 'namespace: images\nresources: []\n' });
  assert.throws(() => render(dir), /field 'namespace' is not supported/);
  const outside = fixture({ 'a/kustomization.yaml': 'configMapGenerator:\n  - name: x\n    envs: [../x.env]\n', 'x.env': 'A=1\n' });
  assert.throws(() => render(path.join(outside, 'a')), /outside the kustomization's folder/);
});

// ---------------------------------------------------------------------------- the command

test('validate.js fails on a kustomization holding broken objects, and names them', () => {
  const dir = fixture({
    'kustomization.yaml': 'resources: [broken.yaml]\n',
    'broken.yaml': `${YAMLText(deployment({ replicas: 'two' }))}---\n${YAMLText(scaledObject([{ ...PROMETHEUS, metadata: { ...PROMETHEUS.metadata, threshold: 16 } }]))}`,
  });
  const result = spawnSync(process.execPath, [VALIDATE, '--no-kubectl', dir], { encoding: 'utf8' });
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.match(result.stdout, /FAIL /);
  assert.match(result.stdout, /Deployment decoder-svc: .*\/spec\/replicas must be integer/);
  assert.match(result.stdout, /ScaledObject decoder-svc: .*threshold must be string/);
  assert.match(result.stdout, /sets spec.replicas/);
});

test('validate.js passes a valid kustomization', () => {
  const dir = fixture({
    'kustomization.yaml': 'resources: [app.yaml]\n',
    'app.yaml': YAMLText(deployment()),
  });
  const result = spawnSync(process.execPath, [VALIDATE, '--no-kubectl', dir], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /^ok {3}/m);
});

function YAMLText(object) {
  return require('yaml').stringify(object);
}
