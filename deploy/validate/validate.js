#!/usr/bin/env node
'use strict';
// Renders every kustomization of deploy/ (deploy/k8s and each folder under deploy/examples and
// deploy/overlays that holds a kustomization.yaml) and validates every object it yields against
// the Kubernetes and KEDA schemas, plus the cross-object rules of schemas.js; the builds under
// deploy/overlays (and any folder given with --production) also against its production rules.
// Where kubectl is installed, each render is also compared with `kubectl kustomize`
// (UNCLIP_VALIDATE_KUBECTL=0 turns that off).
//
//   cd deploy/validate && npm ci && node validate.js [--production] [FOLDER...]
//
// Exit status: 0 when everything is valid, 1 when anything is not, 2 on a usage error.

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { KustomizeError, kustomizationFile, parseDocuments, render } = require('./kustomize');
const { productionErrors, schemaErrors, semanticErrors } = require('./schemas');

const ROOT = path.resolve(__dirname, '..', '..');

const OVERLAYS = path.join(ROOT, 'deploy', 'overlays');

/** Whether a folder is a production overlay (under deploy/overlays). */
function isProduction(folder) {
  const relative = path.relative(OVERLAYS, folder);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

/** deploy/k8s, then every folder under deploy/examples and deploy/overlays with a kustomization, in path order. */
function defaultFolders() {
  const folders = [path.join(ROOT, 'deploy', 'k8s')];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory() && entry.name !== 'node_modules') {
        const sub = path.join(dir, entry.name);
        if (kustomizationFile(sub)) folders.push(sub);
        walk(sub);
      }
    }
  };
  walk(path.join(ROOT, 'deploy', 'examples'));
  if (fs.existsSync(OVERLAYS)) walk(OVERLAYS);
  return folders;
}

function onPath(command) {
  return (process.env.PATH || '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch (e) {
      return false;
    }
  });
}

function key(object) {
  return `${object.apiVersion} ${object.kind} ${(object.metadata || {}).name}`;
}

/** The first path at which two values differ, or null. */
function firstDifference(a, b, at = '') {
  if (a === b) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object' || Array.isArray(a) !== Array.isArray(b)) {
    return `${at || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference(a[k], b[k], `${at}/${k}`);
    if (d) return d;
  }
  return null;
}

/** Differences between this renderer's output and kubectl kustomize's. */
function compareWithKubectl(folder, objects) {
  const result = spawnSync('kubectl', ['kustomize', folder], { encoding: 'utf8', timeout: 120000 });
  if (result.status !== 0) {
    return [`kubectl kustomize failed: ${(result.stderr || result.error || '').toString().trim()}`];
  }
  const theirs = new Map(parseDocuments(result.stdout, 'kubectl kustomize').map((o) => [key(o), o]));
  const ours = new Map(objects.map((o) => [key(o), o]));
  const errors = [];
  for (const [k, o] of ours) {
    if (!theirs.has(k)) errors.push(`kubectl kustomize does not yield ${k}`);
    else {
      const d = firstDifference(JSON.parse(JSON.stringify(o)), theirs.get(k));
      if (d) errors.push(`${k} differs from kubectl kustomize's at ${d}`);
    }
  }
  for (const k of theirs.keys()) {
    if (!ours.has(k)) errors.push(`kubectl kustomize yields ${k}, deploy/validate does not`);
  }
  return errors;
}

function main(argv) {
  const args = argv.filter((a) => !a.startsWith('--'));
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  for (const flag of flags) {
    if (!['--no-kubectl', '--kubectl', '--quiet', '--production'].includes(flag)) {
      console.error(`usage: node validate.js [--no-kubectl|--kubectl] [--quiet] [--production] [FOLDER...]; unknown ${flag}`);
      return 2;
    }
  }
  const folders = args.length ? args.map((a) => path.resolve(a)) : defaultFolders();
  const kubectlWanted = flags.has('--kubectl')
    || (!flags.has('--no-kubectl') && process.env.UNCLIP_VALIDATE_KUBECTL !== '0' && onPath('kubectl'));
  if (flags.has('--kubectl') && !onPath('kubectl')) {
    console.error('--kubectl: kubectl is not on the PATH');
    return 2;
  }

  let failures = 0;
  let total = 0;
  for (const folder of folders) {
    const label = path.relative(ROOT, folder) || folder;
    const production = flags.has('--production') || isProduction(folder);
    const errors = [];
    let objects = [];
    try {
      objects = render(folder);
    } catch (e) {
      if (!(e instanceof KustomizeError)) throw e;
      errors.push(`render: ${e.message}`);
    }
    for (const object of objects) {
      schemaErrors(object).forEach((message) => errors.push(`${object.kind} ${(object.metadata || {}).name}: ${message}`));
    }
    if (objects.length) {
      errors.push(...semanticErrors(objects));
      if (production) errors.push(...productionErrors(objects).map((e) => `production: ${e}`));
      if (kubectlWanted) errors.push(...compareWithKubectl(folder, objects));
    }
    total += objects.length;
    const kinds = {};
    objects.forEach((o) => { kinds[o.kind] = (kinds[o.kind] || 0) + 1; });
    const summary = Object.entries(kinds).sort().map(([k, n]) => `${k} ${n}`).join(', ');
    if (errors.length) {
      failures += errors.length;
      console.log(`FAIL ${label}: ${objects.length} objects (${summary})`);
      errors.forEach((e) => console.log(`  - ${e}`));
    } else if (!flags.has('--quiet')) {
      console.log(`ok   ${label}: ${objects.length} objects (${summary})${production ? ', production rules' : ''}`);
    }
  }
  console.log(`validate: ${folders.length} kustomizations, ${total} objects, ${failures} errors`
    + `${kubectlWanted ? ', renders compared with kubectl kustomize' : ''}`);
  return failures ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}

module.exports = { compareWithKubectl, defaultFolders, isProduction, main, onPath };
