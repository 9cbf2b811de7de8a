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

module.exports = { modelFor, schemaErrors, semanticErrors, triggerErrors };
