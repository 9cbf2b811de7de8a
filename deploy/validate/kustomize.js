'use strict';
// A small Kustomize renderer: the subset of `kustomize build` that deploy/ uses, in plain Node, so
// that the manifests can be validated on a machine with only node and npm (no kubectl, no
// kustomize binary). Anything outside that subset is an error, never silently ignored: a
// kustomization that needs more has to extend this file (and validate.js checks the output
// against `kubectl kustomize` wherever kubectl is installed).
//
// Supported: resources (files and folders), configMapGenerator (envs, literals, behavior
// create/merge/replace, options), generatorOptions, labels (pairs, includeTemplates; not
// includeSelectors), patches (JSON 6902 lists; strategic merge of maps and `$patch: delete`),
// images (name, newName, newTag, digest; the containers and init containers of pod templates),
// replacements, the ConfigMap name hash and the references to it, and dropping objects annotated
// config.kubernetes.io/local-config.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];
const SUPPORTED_FIELDS = new Set([
  'apiVersion', 'kind', 'resources', 'configMapGenerator', 'generatorOptions', 'labels', 'patches',
  'images', 'replacements',
]);
const LOCAL_CONFIG = 'config.kubernetes.io/local-config';
// Workload kinds whose pod template carries labels (labels.includeTemplates) and ConfigMap references.
const POD_TEMPLATE_PATHS = {
  Deployment: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  ReplicationController: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

class KustomizeError extends Error {}

function fail(where, message) {
  throw new KustomizeError(`${where}: ${message}`);
}

/** The kustomization file of a folder, or null. */
function kustomizationFile(dir) {
  for (const name of KUSTOMIZATION_FILES) {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) {
      return file;
    }
  }
  return null;
}

/** Every non-empty document of a YAML text. */
function parseDocuments(text, where) {
  const docs = YAML.parseAllDocuments(text);
  const out = [];
  for (const doc of docs) {
    if (doc.errors && doc.errors.length) {
      fail(where, `invalid YAML: ${doc.errors[0].message}`);
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value !== null && value !== undefined) {
      out.push(value);
    }
  }
  return out;
}

/** KEY=VALUE lines of an env file, as kustomize reads them. */
function readEnvFile(file) {
  const data = {};
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  lines.forEach((line, i) => {
    const trimmed = line.replace(/^\s+/, '');
    if (trimmed === '' || trimmed.startsWith('#')) {
      return;
    }
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      // kustomize would take a bare KEY from the environment of whoever builds: not reproducible.
      fail(`${file}:${i + 1}`, `not KEY=VALUE: ${line}`);
    }
    data[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  });
  return data;
}

// ------------------------------------------------------------------------------------------------
// the ConfigMap name hash, exactly as kustomize's api/hasher computes it

/** Go's encoding/json of a value of strings, maps and lists (keys sorted, HTML characters escaped). */
function goJson(value) {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map(goJson).join(',')}]`;
  }
  if (typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${goJson(k)}:${goJson(value[k])}`).join(',')}}`;
  }
  if (typeof value === 'string') {
    return JSON.stringify(value)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  return JSON.stringify(value);
}

/**
 * The suffix kustomize appends to a generated ConfigMap's name. (kustomize looks the name up as
 * the single key "metadata/name", finds none and hashes an empty name: the suffix depends on the
 * data only.)
 */
function configMapHash(configMap) {
  const encoded = { kind: 'ConfigMap', name: '', data: configMap.data || {} };
  if (configMap.binaryData && typeof configMap.binaryData === 'object') {
    encoded.binaryData = configMap.binaryData;
  }
  const hex = crypto.createHash('sha256').update(goJson(encoded)).digest('hex');
  return hex.slice(0, 10).replace(/[013ae]/g, (c) => ({ 0: 'g', 1: 'h', 3: 'k', a: 'm', e: 't' })[c]);
}

// ------------------------------------------------------------------------------------------------
// JSON 6902 patches

function decodePointer(pointer, where) {
  if (pointer === '') {
    return [];
  }
  if (!pointer.startsWith('/')) {
    fail(where, `JSON pointer must start with '/': ${pointer}`);
  }
  return pointer.slice(1).split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJsonPatch(target, operations, where) {
  if (!Array.isArray(operations)) {
    fail(where, 'a JSON 6902 patch is a list of operations');
  }
  let doc = structuredClone(target);
  for (const op of operations) {
    const tokens = decodePointer(op.path, where);
    const parentTokens = tokens.slice(0, -1);
    const last = tokens[tokens.length - 1];
    let parent = doc;
    for (const token of parentTokens) {
      parent = Array.isArray(parent) ? parent[Number(token)] : parent == null ? undefined : parent[token];
      if (parent === undefined || parent === null || typeof parent !== 'object') {
        fail(where, `${op.op} ${op.path}: no such path in ${describe(target)}`);
      }
    }
    switch (op.op) {
      case 'add':
        if (!('value' in op)) fail(where, `add ${op.path} needs a value`);
        if (tokens.length === 0) {
          doc = structuredClone(op.value);
        } else if (Array.isArray(parent)) {
          const index = last === '-' ? parent.length : Number(last);
          if (!Number.isInteger(index) || index < 0 || index > parent.length) fail(where, `add ${op.path}: index out of range`);
          parent.splice(index, 0, structuredClone(op.value));
        } else {
          parent[last] = structuredClone(op.value);
        }
        break;
      case 'remove':
      case 'replace':
        if (tokens.length === 0) fail(where, `${op.op} of the whole object is not supported`);
        if (Array.isArray(parent)) {
          const index = Number(last);
          if (!Number.isInteger(index) || index < 0 || index >= parent.length) fail(where, `${op.op} ${op.path}: index out of range`);
          if (op.op === 'remove') parent.splice(index, 1);
          else parent[index] = structuredClone(op.value);
        } else {
          if (!Object.prototype.hasOwnProperty.call(parent, last)) {
            fail(where, `${op.op} ${op.path}: no such field in ${describe(target)}`);
          }
          if (op.op === 'remove') delete parent[last];
          else parent[last] = structuredClone(op.value);
        }
        break;
      case 'test': {
        const actual = Array.isArray(parent) ? parent[Number(last)] : parent[last];
        if (goJson(actual) !== goJson(op.value)) fail(where, `test ${op.path} failed on ${describe(target)}`);
        break;
      }
      default:
        fail(where, `JSON 6902 operation '${op.op}' is not supported by deploy/validate/kustomize.js`);
    }
  }
  return doc;
}

// ------------------------------------------------------------------------------------------------
// strategic merge patches: maps only (plus `$patch: delete` of a whole object)

function strategicMerge(target, patch, where) {
  const out = structuredClone(target);
  mergeInto(out, patch, where, '');
  return out;
}

function mergeInto(target, patch, where, at) {
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) {
      fail(where, `strategic merge directive ${key} at ${at || '/'} is not supported`);
    }
    if (value === null) {
      delete target[key];
    } else if (Array.isArray(value)) {
      // Lists of containers, ports, env... merge by key in kustomize; that is not implemented.
      fail(where, `strategic merge of the list ${at}/${key} is not supported: use a JSON 6902 patch`);
    } else if (typeof value === 'object') {
      if (typeof target[key] !== 'object' || target[key] === null || Array.isArray(target[key])) {
        target[key] = {};
      }
      mergeInto(target[key], value, where, `${at}/${key}`);
    } else {
      target[key] = value;
    }
  }
}

// ------------------------------------------------------------------------------------------------
// selecting objects

function groupVersion(object) {
  const apiVersion = object.apiVersion || '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function describe(object) {
  return `${object.kind || '?'} ${(object.metadata && object.metadata.name) || '?'}`;
}

function matchesLabelSelector(labels, selector, where) {
  for (const term of selector.split(',').map((t) => t.trim()).filter(Boolean)) {
    let m;
    if ((m = term.match(/^([^!=\s]+)\s*!=\s*(\S*)$/))) {
      if (labels[m[1]] === m[2]) return false;
    } else if ((m = term.match(/^([^!=\s]+)\s*==?\s*(\S*)$/))) {
      if (labels[m[1]] !== m[2]) return false;
    } else if ((m = term.match(/^!([^!=\s]+)$/))) {
      if (m[1] in labels) return false;
    } else if ((m = term.match(/^([^!=\s()]+)$/))) {
      if (!(m[1] in labels)) return false;
    } else {
      fail(where, `label selector term '${term}' is not supported`);
    }
  }
  return true;
}

/** Whether an object is selected by a patch target or a replacement's select/reject. */
function selects(selector, entry, where) {
  const object = entry.object;
  const { group, version } = groupVersion(object);
  const metadata = object.metadata || {};
  const anchored = (pattern, value) => new RegExp(`^(?:${pattern})$`).test(value || '');
  for (const key of Object.keys(selector)) {
    if (!['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'].includes(key)) {
      fail(where, `selector field '${key}' is not supported`);
    }
  }
  if (selector.group !== undefined && selector.group !== group) return false;
  if (selector.version !== undefined && selector.version !== version) return false;
  if (selector.kind !== undefined && !anchored(selector.kind, object.kind)) return false;
  if (selector.name !== undefined && !anchored(selector.name, metadata.name) && !anchored(selector.name, entry.originalName)) return false;
  if (selector.namespace !== undefined && !anchored(selector.namespace, metadata.namespace)) return false;
  if (selector.labelSelector !== undefined && !matchesLabelSelector(metadata.labels || {}, selector.labelSelector, where)) return false;
  if (selector.annotationSelector !== undefined && !matchesLabelSelector(metadata.annotations || {}, selector.annotationSelector, where)) return false;
  return true;
}

// ------------------------------------------------------------------------------------------------
// replacements: source and target field paths (a.b.[key=value].c, a.0.b, a.*)

function parseFieldPath(fieldPath, where) {
  const segments = [];
  let current = '';
  for (let i = 0; i < fieldPath.length; i++) {
    const c = fieldPath[i];
    if (c === '[') {
      const end = fieldPath.indexOf(']', i);
      if (end < 0) fail(where, `unbalanced '[' in field path ${fieldPath}`);
      current += fieldPath.slice(i, end + 1);
      i = end;
    } else if (c === '.') {
      segments.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  segments.push(current);
  if (segments.some((s) => s === '')) fail(where, `empty segment in field path ${fieldPath}`);
  return segments;
}

/** Every node a field path reaches, as [parent, key] pairs of its last segment. */
function resolveFieldPath(root, segments, create, where) {
  let nodes = [root];
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s];
    const lastSegment = s === segments.length - 1;
    const next = [];
    for (const node of nodes) {
      const m = segment.match(/^\[([^=\]]+)=([^\]]*)\]$/);
      if (m) {
        if (!Array.isArray(node)) continue;
        node.forEach((item, index) => {
          if (item && typeof item === 'object' && String(item[m[1]]) === m[2]) {
            next.push(lastSegment ? [node, index] : item);
          }
        });
      } else if (segment === '*') {
        const keys = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node || {});
        keys.forEach((k) => next.push(lastSegment ? [node, k] : node[k]));
      } else if (Array.isArray(node) && /^[0-9]+$/.test(segment)) {
        const index = Number(segment);
        if (index < node.length) next.push(lastSegment ? [node, index] : node[index]);
      } else if (node && typeof node === 'object' && !Array.isArray(node)) {
        if (lastSegment) {
          if (segment in node || create) next.push([node, segment]);
        } else {
          if (!(segment in node) && create) node[segment] = {};
          if (segment in node) next.push(node[segment]);
        }
      }
    }
    nodes = next;
  }
  return nodes;
}

function applyReplacements(entries, replacements, where) {
  for (const replacement of replacements) {
    const here = `${where} replacements`;
    const known = new Set(['source', 'targets']);
    Object.keys(replacement).forEach((k) => known.has(k) || fail(here, `replacement field '${k}' is not supported`));
    const source = replacement.source || fail(here, 'a replacement needs a source');
    const { fieldPath = 'metadata.name', options, ...sourceSelector } = source;
    if (options) fail(here, 'source options (delimiter, index) are not supported');
    const sources = entries.filter((e) => selects(sourceSelector, e, here));
    if (sources.length !== 1) {
      fail(here, `source ${JSON.stringify(sourceSelector)} selects ${sources.length} objects, not one`);
    }
    const found = resolveFieldPath(sources[0].object, parseFieldPath(fieldPath, here), false, here);
    if (found.length !== 1) fail(here, `source field ${fieldPath} of ${describe(sources[0].object)} not found`);
    const [sourceParent, sourceKey] = found[0];
    const value = sourceParent[sourceKey];
    for (const target of replacement.targets || []) {
      Object.keys(target).forEach((k) => ['select', 'reject', 'fieldPaths', 'options'].includes(k) || fail(here, `target field '${k}' is not supported`));
      const targetOptions = target.options || {};
      Object.keys(targetOptions).forEach((k) => k === 'create' || fail(here, `target option '${k}' is not supported`));
      const selected = entries.filter((e) => selects(target.select || {}, e, here)
        && !(target.reject || []).some((r) => selects(r, e, here)));
      if (selected.length === 0) fail(here, `target ${JSON.stringify(target.select)} selects no object`);
      for (const entry of selected) {
        for (const fieldPathText of target.fieldPaths || ['metadata.name']) {
          const nodes = resolveFieldPath(entry.object, parseFieldPath(fieldPathText, here), Boolean(targetOptions.create), here);
          if (nodes.length === 0) fail(here, `field ${fieldPathText} not found in ${describe(entry.object)}`);
          for (const [parent, key] of nodes) {
            parent[key] = structuredClone(value);
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// labels

function addLabels(metadataOwner, pairs) {
  metadataOwner.metadata = metadataOwner.metadata || {};
  metadataOwner.metadata.labels = { ...(metadataOwner.metadata.labels || {}), ...pairs };
}

function applyLabels(entries, labels, where) {
  for (const entry of labels) {
    Object.keys(entry).forEach((k) => ['pairs', 'includeSelectors', 'includeTemplates'].includes(k) || fail(where, `labels field '${k}' is not supported`));
    if (entry.includeSelectors) {
      fail(where, 'labels with includeSelectors: true are not supported (selectors are immutable; this repository never changes them)');
    }
    for (const { object } of entries) {
      addLabels(object, entry.pairs || {});
      if (entry.includeTemplates) {
        const templatePath = POD_TEMPLATE_PATHS[object.kind];
        if (templatePath) {
          const template = dig(object, templatePath, true);
          addLabels(template, entry.pairs || {});
        }
        if (object.kind === 'StatefulSet') {
          for (const claim of (object.spec && object.spec.volumeClaimTemplates) || []) {
            addLabels(claim, entry.pairs || {});
          }
        }
      }
    }
  }
}

function dig(object, keys, create) {
  let node = object;
  for (const key of keys) {
    if (node[key] === undefined) {
      if (!create) return undefined;
      node[key] = {};
    }
    node = node[key];
  }
  return node;
}

// ------------------------------------------------------------------------------------------------
// images

/** An image reference split as kustomize splits it: name, then an optional :tag and @digest. */
function parseImage(image) {
  let rest = image;
  let digest = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag, digest };
}

/** The `images:` transformer: rewrites the image of every container whose image name matches. */
function applyImages(entries, images, where) {
  for (const [i, image] of images.entries()) {
    const here = `${where} images[${i}]`;
    Object.keys(image).forEach((k) => ['name', 'newName', 'newTag', 'digest'].includes(k) || fail(here, `images field '${k}' is not supported`));
    if (typeof image.name !== 'string' || image.name === '') fail(here, 'an image needs a name');
    if (image.newTag !== undefined && typeof image.newTag !== 'string') fail(here, `newTag must be a string (quote it): ${image.newTag}`);
    for (const { object } of entries) {
      const templatePath = POD_TEMPLATE_PATHS[object.kind];
      const podSpec = object.kind === 'Pod' ? object.spec : templatePath && dig(object, [...templatePath, 'spec'], false);
      if (!podSpec) continue;
      for (const container of [...(podSpec.containers || []), ...(podSpec.initContainers || [])]) {
        if (typeof container.image !== 'string') continue;
        const current = parseImage(container.image);
        if (current.name !== image.name) continue;
        const name = image.newName || current.name;
        let tag = current.tag;
        let digest = current.digest;
        if (image.newTag !== undefined) {
          tag = image.newTag;
          digest = null;
        }
        if (image.digest !== undefined) {
          digest = image.digest;
          if (image.newTag === undefined) tag = null;
        }
        container.image = `${name}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// ConfigMap generators

function generateConfigMaps(entries, kustomization, dir, where) {
  const globalOptions = kustomization.generatorOptions || {};
  Object.keys(globalOptions).forEach((k) => ['labels', 'annotations', 'disableNameSuffixHash'].includes(k) || fail(where, `generatorOptions field '${k}' is not supported`));
  for (const generator of kustomization.configMapGenerator || []) {
    const known = ['name', 'behavior', 'envs', 'literals', 'options'];
    Object.keys(generator).forEach((k) => known.includes(k) || fail(where, `configMapGenerator field '${k}' is not supported`));
    const options = { ...globalOptions, ...(generator.options || {}) };
    Object.keys(generator.options || {}).forEach((k) => ['labels', 'annotations', 'disableNameSuffixHash'].includes(k) || fail(where, `configMapGenerator option '${k}' is not supported`));
    const data = {};
    for (const env of generator.envs || []) {
      Object.assign(data, readEnvFile(inside(dir, env, where)));
    }
    for (const literal of generator.literals || []) {
      const eq = literal.indexOf('=');
      if (eq <= 0) fail(where, `literal is not KEY=VALUE: ${literal}`);
      data[literal.slice(0, eq)] = literal.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
    const behavior = generator.behavior || 'create';
    const existing = entries.find((e) => e.object.kind === 'ConfigMap' && e.originalName === generator.name);
    if (behavior === 'create') {
      if (existing) fail(where, `ConfigMap ${generator.name} exists already (use behavior: merge or replace)`);
      const object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data };
      if (options.labels) object.metadata.labels = { ...options.labels };
      if (options.annotations) object.metadata.annotations = { ...options.annotations };
      entries.push({ object, originalName: generator.name, hashed: !options.disableNameSuffixHash, source: where });
    } else if (behavior === 'merge' || behavior === 'replace') {
      if (!existing) fail(where, `ConfigMap ${generator.name} to ${behavior} does not exist`);
      existing.object.data = behavior === 'merge' ? { ...(existing.object.data || {}), ...data } : data;
      const metadata = existing.object.metadata;
      if (options.labels) metadata.labels = { ...(metadata.labels || {}), ...options.labels };
      if (options.annotations) metadata.annotations = { ...(metadata.annotations || {}), ...options.annotations };
      if (options.disableNameSuffixHash) existing.hashed = false;
    } else {
      fail(where, `configMapGenerator behavior '${behavior}' is unknown`);
    }
  }
}

// ------------------------------------------------------------------------------------------------
// the build

/** A path a kustomization names, which must stay inside its folder (kustomize's default load restrictor). */
function inside(dir, relative, where, allowParent) {
  const resolved = path.resolve(dir, relative);
  if (!allowParent && path.relative(dir, resolved).startsWith('..')) {
    fail(where, `${relative} is outside the kustomization's folder`);
  }
  if (!fs.existsSync(resolved)) fail(where, `${relative} does not exist`);
  return resolved;
}

/** The objects of one kustomization folder, before names are hashed: [{object, originalName, hashed}]. */
function build(dir, stack) {
  const file = kustomizationFile(dir);
  if (!file) fail(dir, 'no kustomization.yaml');
  if (stack.includes(dir)) fail(dir, `cycle: ${[...stack, dir].join(' -> ')}`);
  const where = path.relative(process.cwd(), file) || file;
  const docs = parseDocuments(fs.readFileSync(file, 'utf8'), where);
  if (docs.length !== 1) fail(where, `must hold one document, not ${docs.length}`);
  const kustomization = docs[0];
  if (kustomization.kind && kustomization.kind !== 'Kustomization') {
    fail(where, `kind ${kustomization.kind} is not supported (only Kustomization)`);
  }
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED_FIELDS.has(key)) {
      fail(where, `field '${key}' is not supported by deploy/validate/kustomize.js; extend it`);
    }
  }

  const entries = [];
  for (const resource of kustomization.resources || []) {
    const resolved = inside(dir, resource, where, true);
    if (fs.statSync(resolved).isDirectory()) {
      entries.push(...build(resolved, [...stack, dir]));
    } else {
      if (path.relative(dir, resolved).startsWith('..')) fail(where, `resource file ${resource} is outside the folder`);
      for (const object of parseDocuments(fs.readFileSync(resolved, 'utf8'), resolved)) {
        if (!object || typeof object !== 'object' || !object.kind || !object.metadata || !object.metadata.name) {
          fail(resolved, 'every document must be a Kubernetes object with kind and metadata.name');
        }
        entries.push({ object, originalName: object.metadata.name, hashed: false, source: resolved });
      }
    }
  }
  const ids = new Set();
  for (const e of entries) {
    const id = `${e.object.apiVersion} ${e.object.kind} ${e.originalName}`;
    if (ids.has(id)) fail(where, `two objects ${id}`);
    ids.add(id);
  }

  generateConfigMaps(entries, kustomization, dir, where);

  for (const [i, patch] of (kustomization.patches || []).entries()) {
    const here = `${where} patches[${i}]`;
    Object.keys(patch).forEach((k) => ['path', 'patch', 'target'].includes(k) || fail(here, `patch field '${k}' is not supported`));
    const text = patch.path !== undefined ? fs.readFileSync(inside(dir, patch.path, here), 'utf8') : patch.patch;
    if (typeof text !== 'string') fail(here, 'a patch needs path or patch');
    const parsed = parseDocuments(text, here);
    if (parsed.length !== 1) fail(here, `a patch must hold one document, not ${parsed.length}`);
    const body = parsed[0];
    if (Array.isArray(body)) {
      if (!patch.target) fail(here, 'a JSON 6902 patch needs a target');
      const selected = entries.filter((e) => selects(patch.target, e, here));
      if (selected.length === 0) fail(here, `target ${JSON.stringify(patch.target)} selects no object`);
      selected.forEach((e) => { e.object = applyJsonPatch(e.object, body, `${here} on ${describe(e.object)}`); });
    } else {
      const selected = patch.target
        ? entries.filter((e) => selects(patch.target, e, here))
        : entries.filter((e) => e.object.kind === body.kind && e.originalName === (body.metadata || {}).name
          && (!body.apiVersion || e.object.apiVersion === body.apiVersion));
      if (selected.length === 0) fail(here, `patch for ${describe(body)} selects no object`);
      if (body.$patch === 'delete') {
        const drop = new Set(selected);
        entries.splice(0, entries.length, ...entries.filter((e) => !drop.has(e)));
      } else {
        const { apiVersion, kind, ...rest } = body;
        const metadata = { ...(rest.metadata || {}) };
        delete metadata.name;
        const merge = { ...rest, metadata };
        if (Object.keys(metadata).length === 0) delete merge.metadata;
        selected.forEach((e) => { e.object = strategicMerge(e.object, merge, here); });
      }
    }
  }

  applyImages(entries, kustomization.images || [], where);
  applyLabels(entries, kustomization.labels || [], where);
  applyReplacements(entries, kustomization.replacements || [], where);
  return entries;
}

/** Points every ConfigMap reference of a pod template at the ConfigMap's final name. */
function renameReferences(object, names) {
  const templatePath = POD_TEMPLATE_PATHS[object.kind];
  const podSpec = object.kind === 'Pod' ? object.spec : templatePath && dig(object, [...templatePath, 'spec'], false);
  if (!podSpec) return;
  const rename = (ref) => { if (ref && names.has(ref.name)) ref.name = names.get(ref.name); };
  for (const container of [...(podSpec.containers || []), ...(podSpec.initContainers || [])]) {
    (container.envFrom || []).forEach((source) => rename(source.configMapRef));
    (container.env || []).forEach((variable) => rename(variable.valueFrom && variable.valueFrom.configMapKeyRef));
  }
  for (const volume of podSpec.volumes || []) {
    rename(volume.configMap);
    ((volume.projected && volume.projected.sources) || []).forEach((source) => rename(source.configMap));
  }
}

/** `kustomize build dir`: the objects it prints. */
function render(dir) {
  const entries = build(path.resolve(dir), []);
  const kept = entries.filter((e) => {
    const annotations = (e.object.metadata && e.object.metadata.annotations) || {};
    return annotations[LOCAL_CONFIG] !== 'true';
  });
  const names = new Map();
  for (const entry of kept) {
    if (entry.hashed) {
      const name = `${entry.originalName}-${configMapHash(entry.object)}`;
      names.set(entry.originalName, name);
      entry.object.metadata.name = name;
    }
  }
  kept.forEach((e) => renameReferences(e.object, names));
  return kept.map((e) => e.object);
}

module.exports = {
  KustomizeError,
  applyJsonPatch,
  configMapHash,
  kustomizationFile,
  parseDocuments,
  parseFieldPath,
  parseImage,
  render,
};
