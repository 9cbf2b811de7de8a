'use strict';
// Validation of rendered objects: each against its OpenAPI schema (the model classes of the npm
// packages kubernetes-models and @kubernetes-models/keda), then a few rules the API server or
// KEDA enforce that the schemas leave open (label selectors, references between objects, the
// metadata of KEDA triggers, which is a free map of strings in the schema).

const KEDA_GROUP = 'keda.sh';

/** The model class for an object's apiVersion and kind, or null when no package knows it. */
function modelFor(object) {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (!apiVersion || !kind || !/^[A-Za-z0-9.\-/]+$/.test(apiVersion) || !/^[A-Za-z0-9]+$/.test(kind)) {
    return null;
  }
  let module;
  try {
    if (apiVersion.startsWith(`${KEDA_GROUP}/`)) {
      module = require(`@kubernetes-models/keda/${apiVersion}`);
    } else {
      module = require(`kubernetes-models/${apiVersion}`);
    }
  } catch (e) {
    return null;
  }
  const model = module[kind];
  // Top-level resources carry their apiVersion and kind; nested types (Container...) do not.
  return model && model.apiVersion === apiVersion && model.kind === kind ? model : null;
}

/** Schema violations of one object (empty when it is valid). */
function schemaErrors(object) {
  const Model = modelFor(object);
  if (!Model) {
    return [`no schema known for apiVersion ${object.apiVersion} kind ${object.kind} (add its package to deploy/validate)`];
  }
  try {
    new Model(structuredClone(object)).validate();
    return [];
  } catch (e) {
    return String(e.message || e).split(/\n|, (?=data)/).map((line) => line.trim()).filter(Boolean);
  }
}

/** Names of the ports a workload's containers declare. */
function containerPortNames(workload) {
  const podSpec = (workload.spec && workload.spec.template && workload.spec.template.spec) || {};
  return new Set((podSpec.containers || []).flatMap((c) => (c.ports || []).map((p) => p.name)).filter(Boolean));
}

function name(object) {
  return (object.metadata && object.metadata.name) || '?';
}

function id(object) {
  return `${object.kind} ${name(object)}`;
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet']);

function podTemplateLabels(workload) {
  return (workload.spec && workload.spec.template && workload.spec.template.metadata
    && workload.spec.template.metadata.labels) || {};
}

function selectorMatches(selector, labels) {
  return Object.entries(selector || {}).every(([k, v]) => labels[k] === v);
}

/** Whether a LabelSelector (matchLabels and matchExpressions) selects a set of labels. */
function labelSelectorMatches(selector, labels) {
  const s = selector || {};
  if (!selectorMatches(s.matchLabels, labels)) return false;
  return (s.matchExpressions || []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In': return key in labels && values.includes(labels[key]);
      case 'NotIn': return !(key in labels) || !values.includes(labels[key]);
      case 'Exists': return key in labels;
      case 'DoesNotExist': return !(key in labels);
      default: return false;
    }
  });
}

/** A Kubernetes memory quantity in bytes (384Mi, 1Gi, 512M, 1e9), or NaN. */
function memoryBytes(quantity) {
  const m = /^([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  if (!m) return NaN;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[m[2]] || 1;
  return Number(m[1]) * unit;
}

/** A Redis memory setting in bytes (as redis.conf reads it: 1mb = 2^20, 1m = 10^6), or NaN. */
function redisBytes(setting) {
  const m = /^([0-9]+)(k|kb|m|mb|g|gb)?$/i.exec(String(setting).trim());
  if (!m) return NaN;
  const unit = { k: 1e3, kb: 2 ** 10, m: 1e6, mb: 2 ** 20, g: 1e9, gb: 2 ** 30 }[(m[2] || '').toLowerCase()] || 1;
  return Number(m[1]) * unit;
}

/** Redis' maxmemory may take at most this share of its container's memory limit (room for a fork). */
const REDIS_MAXMEMORY_SHARE = 0.65;

const isNumber = (text) => typeof text === 'string' && text.trim() !== '' && Number.isFinite(Number(text));
const isUrl = (text) => typeof text === 'string' && /^https?:\/\/[^\s/:]+(:[0-9]+)?(\/\S*)?$/.test(text);
const isHostPort = (text) => typeof text === 'string' && /^[A-Za-z0-9.-]+:[0-9]+$/.test(text);

/** Errors in one KEDA trigger's metadata, for the trigger types deploy/ uses. */
function triggerErrors(trigger) {
  const errors = [];
  const metadata = trigger.metadata || {};
  const need = (key, check, what) => {
    if (metadata[key] === undefined) errors.push(`metadata.${key} is missing`);
    else if (check && !check(metadata[key])) errors.push(`metadata.${key} '${metadata[key]}' is not ${what}`);
  };
  switch (trigger.type) {
    case 'prometheus':
      need('serverAddress', isUrl, 'an http(s) URL');
      need('query', (q) => typeof q === 'string' && q.trim() !== '', 'a PromQL query');
      need('threshold', isNumber, 'a number');
      if (metadata.activationThreshold !== undefined && !isNumber(metadata.activationThreshold)) {
        errors.push(`metadata.activationThreshold '${metadata.activationThreshold}' is not a number`);
      }
      break;
    case 'redis-streams': {
      if (metadata.address !== undefined) {
        if (!isHostPort(metadata.address)) errors.push(`metadata.address '${metadata.address}' is not host:port`);
      } else if (metadata.host === undefined && metadata.addressFromEnv === undefined) {
        errors.push('metadata.address (or host and port, or addressFromEnv) is missing');
      }
      need('stream', (s) => typeof s === 'string' && s !== '', 'a stream key');
      const modes = ['pendingEntriesCount', 'streamLength', 'lagCount'].filter((k) => metadata[k] !== undefined);
      if (modes.length !== 1) {
        errors.push(`exactly one of pendingEntriesCount, streamLength, lagCount must be set, not ${modes.length ? modes.join(', ') : 'none'}`);
      }
      modes.forEach((k) => isNumber(metadata[k]) || errors.push(`metadata.${k} '${metadata[k]}' is not a number`));
      if ((metadata.pendingEntriesCount !== undefined || metadata.lagCount !== undefined) && !metadata.consumerGroup) {
        errors.push('metadata.consumerGroup is missing (pendingEntriesCount and lagCount count one consumer group)');
      }
      break;
    }
    default:
      break;
  }
  return errors;
}

/** Rules across the objects of one rendered kustomization. */
function semanticErrors(objects) {
  const errors = [];
  const report = (object, message) => errors.push(`${id(object)}: ${message}`);
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const configMaps = new Set(objects.filter((o) => o.kind === 'ConfigMap').map(name));

  for (const workload of workloads) {
    const spec = workload.spec || {};
    const matchLabels = (spec.selector && spec.selector.matchLabels) || {};
    if (!selectorMatches(matchLabels, podTemplateLabels(workload))) {
      report(workload, 'spec.selector does not match the pod template\'s labels (the API server refuses it)');
    }
    const podSpec = (spec.template && spec.template.spec) || {};
    for (const container of [...(podSpec.containers || []), ...(podSpec.initContainers || [])]) {
      for (const source of container.envFrom || []) {
        const ref = source.configMapRef;
        if (ref && !ref.optional && !configMaps.has(ref.name)) {
          report(workload, `container ${container.name} reads ConfigMap ${ref.name}, which the build does not hold`);
        }
      }
    }
  }

  for (const service of objects.filter((o) => o.kind === 'Service')) {
    const selector = service.spec && service.spec.selector;
    if (selector && Object.keys(selector).length
        && !workloads.some((w) => selectorMatches(selector, podTemplateLabels(w)))) {
      report(service, `selector ${JSON.stringify(selector)} selects no pod template of the build`);
    }
  }

  const podLabels = (w) => podTemplateLabels(w);
  const services = objects.filter((o) => o.kind === 'Service');

  for (const budget of objects.filter((o) => o.kind === 'PodDisruptionBudget')) {
    const selector = budget.spec && budget.spec.selector;
    if (!selector || !workloads.some((w) => labelSelectorMatches(selector, podLabels(w)))) {
      report(budget, `selector ${JSON.stringify(selector)} selects no pod template of the build`);
    }
  }

  for (const policy of objects.filter((o) => o.kind === 'NetworkPolicy')) {
    const spec = policy.spec || {};
    const selected = workloads.filter((w) => labelSelectorMatches(spec.podSelector, podLabels(w)));
    if (selected.length === 0) report(policy, `podSelector ${JSON.stringify(spec.podSelector)} selects no pod template of the build`);
    (spec.ingress || []).forEach((rule, i) => {
      (rule.from || []).forEach((peer, j) => {
        if (peer.podSelector && !peer.namespaceSelector
            && !workloads.some((w) => labelSelectorMatches(peer.podSelector, podLabels(w)))) {
          report(policy, `ingress[${i}].from[${j}].podSelector selects no pod template of the build`);
        }
      });
      (rule.ports || []).forEach((port) => {
        if (typeof port.port === 'string') {
          selected.filter((w) => !containerPortNames(w).has(port.port))
            .forEach((w) => report(policy, `ingress[${i}] names port ${port.port}, which ${id(w)} does not declare`));
        }
      });
    });
  }

  for (const set of workloads.filter((w) => w.kind === 'StatefulSet')) {
    const serviceName = set.spec && set.spec.serviceName;
    const governing = services.find((svc) => name(svc) === serviceName);
    if (!governing) {
      report(set, `serviceName ${serviceName} names no Service of the build`);
    } else {
      if ((governing.spec || {}).clusterIP !== 'None') {
        report(set, `its governing Service ${serviceName} is not headless (clusterIP: None), so its pods get no DNS names`);
      }
      if (!selectorMatches((governing.spec || {}).selector, podLabels(set))) {
        report(set, `its governing Service ${serviceName} does not select its pods`);
      }
    }
  }

  for (const workload of workloads) {
    const podSpec = (workload.spec && workload.spec.template && workload.spec.template.spec) || {};
    for (const container of podSpec.containers || []) {
      const words = [...(container.command || []), ...(container.args || [])];
      const at = words.indexOf('--maxmemory');
      if (at < 0) continue;
      const maxmemory = redisBytes(words[at + 1]);
      const limit = memoryBytes(((container.resources || {}).limits || {}).memory);
      if (!Number.isFinite(maxmemory)) report(workload, `container ${container.name}: --maxmemory ${words[at + 1]} is not a Redis memory size`);
      else if (!Number.isFinite(limit)) report(workload, `container ${container.name}: Redis with --maxmemory needs a memory limit`);
      else if (maxmemory > REDIS_MAXMEMORY_SHARE * limit) {
        report(workload, `container ${container.name}: --maxmemory ${words[at + 1]} is ${Math.round((100 * maxmemory) / limit)} % of the memory limit ${container.resources.limits.memory}; at most ${100 * REDIS_MAXMEMORY_SHARE} % leaves room for the fork of an AOF rewrite`);
      }
    }
  }

  const scaledBy = new Map();
  for (const scaler of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || (o.kind === 'ScaledObject' && (o.apiVersion || '').startsWith(`${KEDA_GROUP}/`)))) {
    const spec = scaler.spec || {};
    const ref = spec.scaleTargetRef || {};
    const kind = ref.kind || 'Deployment';
    const target = workloads.find((w) => w.kind === kind && name(w) === ref.name
      && (!ref.apiVersion || w.apiVersion === ref.apiVersion));
    if (!target) {
      report(scaler, `scaleTargetRef ${kind} ${ref.name} is not in the build`);
    } else {
      const key = id(target);
      if (scaledBy.has(key)) report(scaler, `${key} is scaled by ${scaledBy.get(key)} too`);
      scaledBy.set(key, id(scaler));
      if (target.spec && target.spec.replicas !== undefined) {
        report(scaler, `${key} sets spec.replicas, so every apply resets the autoscaler's count: drop it in the overlay`);
      }
    }
    const [min, max] = scaler.kind === 'ScaledObject'
      ? [spec.minReplicaCount === undefined ? 0 : spec.minReplicaCount, spec.maxReplicaCount === undefined ? 100 : spec.maxReplicaCount]
      : [spec.minReplicas === undefined ? 1 : spec.minReplicas, spec.maxReplicas];
    if (!(min <= max)) report(scaler, `minimum replicas ${min} exceed the maximum ${max}`);
    if (scaler.kind === 'ScaledObject') {
      (spec.triggers || []).forEach((trigger, i) => {
        triggerErrors(trigger).forEach((message) => report(scaler, `triggers[${i}] (${trigger.type}): ${message}`));
      });
    }
  }
  return errors;
}

// ------------------------------------------------------------------------------------------------
// production overlays (deploy/overlays/*): what an operator running the mesh for others relies on

const NAME = 'app.kubernetes.io/name';
const COMPONENT = 'app.kubernetes.io/component';
const GATEWAY = 'gateway';
const REDIS = 'redis';
const DIGEST = /@sha256:[0-9a-f]{64}$/;

/** The ports of a workload's pods that policies must keep from everyone but the gateway. */
function servingPorts(workload) {
  return [...containerPortNames(workload)].filter((p) => p !== 'http');
}

/**
 * Whether an ingress peer admits pods of the gateway only (a podSelector in the policy's own
 * namespace that selects the gateway's pods and no other workload's).
 */
function onlyGateway(peer, workloads) {
  if (!peer.podSelector || peer.namespaceSelector || peer.ipBlock) return false;
  const admitted = workloads.filter((w) => labelSelectorMatches(peer.podSelector, podTemplateLabels(w)));
  return admitted.length > 0 && admitted.every((w) => podTemplateLabels(w)[NAME] === GATEWAY);
}

/** Rules a production build must meet on top of semanticErrors. */
function productionErrors(objects) {
  const errors = [];
  const report = (object, message) => errors.push(`${id(object)}: ${message}`);
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const labelsOf = (w) => podTemplateLabels(w);
  const gateway = workloads.find((w) => labelsOf(w)[NAME] === GATEWAY);
  if (!gateway) errors.push('no gateway workload (pods labelled app.kubernetes.io/name: gateway)');
  const stages = workloads.filter((w) => labelsOf(w)[COMPONENT] === 'stage');
  if (stages.length === 0) errors.push('no stage workloads (pods labelled app.kubernetes.io/component: stage)');
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const podSpec = (w) => (w.spec && w.spec.template && w.spec.template.spec) || {};

  // Images: the mesh's own pinned by digest (Redis' may keep its release tag), never a SNAPSHOT tag.
  for (const workload of workloads) {
    for (const container of [...(podSpec(workload).containers || []), ...(podSpec(workload).initContainers || [])]) {
      const image = String(container.image || '');
      if (/SNAPSHOT/i.test(image)) report(workload, `container ${container.name} runs the SNAPSHOT image ${image}`);
      if (labelsOf(workload)[NAME] !== REDIS && !DIGEST.test(image)) {
        report(workload, `container ${container.name}: image ${image} is not pinned by digest (@sha256:...)`);
      }
    }
  }

  // Availability: two replicas per stage and the gateway, a budget each, spread over nodes and zones.
  for (const workload of [...stages, ...(gateway ? [gateway] : [])]) {
    const replicas = workload.spec && workload.spec.replicas !== undefined ? workload.spec.replicas : 1;
    if (replicas < 2) report(workload, `runs ${replicas} replica(s); production needs at least 2`);
    const covering = budgets.filter((b) => b.spec && labelSelectorMatches(b.spec.selector, labelsOf(workload))
      && workloads.filter((w) => labelSelectorMatches(b.spec.selector, labelsOf(w))).length === 1);
    if (covering.length !== 1) {
      report(workload, `needs one PodDisruptionBudget selecting its pods alone, has ${covering.length}`);
    } else {
      const spec = covering[0].spec;
      const ok = spec.minAvailable !== undefined ? Number(spec.minAvailable) >= 1 && Number(spec.minAvailable) < replicas
        : spec.maxUnavailable !== undefined && String(spec.maxUnavailable) !== '0';
      if (!ok) report(covering[0], `must keep a pod of ${id(workload)} and let one go (minAvailable 1..replicas-1)`);
    }
    for (const key of ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']) {
      const spread = (podSpec(workload).topologySpreadConstraints || []).some((c) => c.topologyKey === key
        && labelSelectorMatches(c.labelSelector, labelsOf(workload)));
      if (!spread) report(workload, `has no topologySpreadConstraint over ${key} selecting its own pods`);
    }
  }

  // NetworkPolicies: every pod isolated; stages and Redis reachable from the gateway alone.
  for (const workload of workloads) {
    const selecting = policies.filter((p) => p.spec && labelSelectorMatches(p.spec.podSelector, labelsOf(workload))
      && (!p.spec.policyTypes || p.spec.policyTypes.includes('Ingress')));
    if (selecting.length === 0) {
      report(workload, 'no NetworkPolicy selects its pods, so anything in the cluster reaches them');
      continue;
    }
    const serving = servingPorts(workload);
    const isGateway = labelsOf(workload)[NAME] === GATEWAY;
    for (const policy of selecting) {
      (policy.spec.ingress || []).forEach((rule, i) => {
        const from = rule.from || [];
        if (from.length === 0) {
          report(policy, `ingress[${i}] admits every source to ${id(workload)}`);
          return;
        }
        if (isGateway) return;
        const ports = (rule.ports || []).map((p) => p.port);
        const opensServing = ports.length === 0 || ports.some((p) => serving.includes(p) || typeof p === 'number');
        if (opensServing && !from.every((peer) => onlyGateway(peer, workloads))) {
          report(policy, `ingress[${i}] opens ${ports.length ? ports.join(', ') : 'every port'} of ${id(workload)} to more than the gateway`);
        }
      });
    }
    if (!isGateway && gateway) {
      for (const port of serving) {
        const reached = selecting.some((p) => (p.spec.ingress || []).some((rule) => (rule.from || []).some((peer) => onlyGateway(peer, workloads))
          && (!(rule.ports || []).length || rule.ports.some((q) => q.port === port))));
        if (!reached) report(workload, `no NetworkPolicy lets the gateway reach its port ${port}`);
      }
    }
  }
  // Redis requires the password the gateway sends, both from the same Secret key.
  const secretOf = (container, variable) => {
    const entry = (container.env || []).find((e) => e.name === variable);
    const ref = entry && entry.valueFrom && entry.valueFrom.secretKeyRef;
    return ref ? `${ref.name}/${ref.key}${ref.optional ? ' (optional)' : ''}` : null;
  };
  const redis = workloads.find((w) => labelsOf(w)[NAME] === REDIS);
  if (redis && gateway) {
    const server = (podSpec(redis).containers || [])[0] || {};
    const password = secretOf(server, 'REDIS_PASSWORD');
    const script = [...(server.command || []), ...(server.args || [])].join(' ');
    if (!password || password.endsWith('(optional)') || !/requirepass\s+"\$REDIS_PASSWORD"/.test(script)) {
      report(redis, 'requires no password: set requirepass from REDIS_PASSWORD, a required Secret key');
    }
    if (secretOf(server, 'REDISCLI_AUTH') !== password) report(redis, 'its probe (redis-cli) must send REDISCLI_AUTH from the same Secret key');
    const sent = secretOf((podSpec(gateway).containers || [])[0] || {}, 'UNCLIP_REDIS_PASSWORD');
    if (sent !== password) report(gateway, `sends the Redis password from ${sent}, Redis requires ${password}`);
  }
  if (gateway) {
    const reachable = policies.some((p) => labelSelectorMatches((p.spec || {}).podSelector, labelsOf(gateway))
      && (p.spec.ingress || []).some((rule) => (rule.ports || []).some((q) => q.port === 'http')));
    if (!reachable) report(gateway, 'no NetworkPolicy admits anything to its HTTP port: the API is unreachable');
  }
  return errors;
}

module.exports = { labelSelectorMatches, memoryBytes, modelFor, productionErrors, redisBytes, schemaErrors, semanticErrors, triggerErrors };
