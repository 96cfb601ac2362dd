// kubectl's output formats: tables per kind, json, yaml, name, jsonpath, custom-columns.
import { stringify } from './yaml.mjs';
import { fail } from './sim.mjs';
import { age, nodeRoles, resourceName } from './kube.mjs';
import { renderJsonPath, selectPath } from './jsonpath.mjs';

/** Columns like kubectl's tabwriter: padded to the widest cell, three spaces apart. */
export function formatTable(header, rows) {
  const all = header ? [header, ...rows] : rows;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => String(r[i] ?? '').length))) ?? [];
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? String(c) : String(c).padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + (all.length ? '\n' : '');
}

const condition = (o, type) => (o.status?.conditions ?? []).find((c) => c.type === type);

function nodeColumns(o, wide) {
  const ready = condition(o, 'Ready')?.status === 'True' ? 'Ready' : 'NotReady';
  const status = o.spec?.unschedulable ? `${ready},SchedulingDisabled` : ready;
  const roles = nodeRoles({ labels: o.metadata.labels ?? {} });
  const base = [o.metadata.name, status, roles, age(o.metadata.creationTimestamp), o.status.nodeInfo.kubeletVersion];
  if (!wide) return base;
  const ip = o.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '<none>';
  return [...base, ip, '<none>', o.status.nodeInfo.osImage, o.status.nodeInfo.kernelVersion, o.status.nodeInfo.containerRuntimeVersion];
}

const COLUMNS = {
  Node: { header: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'], wide: ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME'], row: nodeColumns },
  Pod: {
    header: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'],
    row: (o, wide) => {
      const ready = o.status?.containerStatuses?.filter((c) => c.ready).length ?? 0;
      const total = o.spec?.containers?.length ?? 1;
      const base = [o.metadata.name, `${ready}/${total}`, o.status?.phase ?? 'Pending', '0', age(o.metadata.creationTimestamp)];
      return wide ? [...base, o.status?.podIP ?? '<none>', o.spec?.nodeName ?? '<none>', '<none>', '<none>'] : base;
    },
  },
  Namespace: { header: ['NAME', 'STATUS', 'AGE'], row: (o) => [o.metadata.name, o.status?.phase ?? 'Active', age(o.metadata.creationTimestamp)] },
  Secret: { header: ['NAME', 'TYPE', 'DATA', 'AGE'], row: (o) => [o.metadata.name, o.type ?? 'Opaque', String(Object.keys(o.data ?? {}).length), age(o.metadata.creationTimestamp)] },
  ConfigMap: { header: ['NAME', 'DATA', 'AGE'], row: (o) => [o.metadata.name, String(Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length), age(o.metadata.creationTimestamp)] },
  Deployment: {
    header: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    row: (o) => [o.metadata.name, `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`, String(o.status?.updatedReplicas ?? 0), String(o.status?.availableReplicas ?? 0), age(o.metadata.creationTimestamp)],
  },
  DaemonSet: {
    header: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    row: (o) => {
      const s = o.status ?? {};
      const selector = Object.entries(o.spec?.template?.spec?.nodeSelector ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>';
      return [o.metadata.name, s.desiredNumberScheduled ?? 0, s.currentNumberScheduled ?? 0, s.numberReady ?? 0, s.updatedNumberScheduled ?? 0, s.numberAvailable ?? 0, selector, age(o.metadata.creationTimestamp)].map(String);
    },
  },
  CustomResourceDefinition: { header: ['NAME', 'CREATED AT'], row: (o) => [o.metadata.name, o.metadata.creationTimestamp] },
  TigeraStatus: {
    header: ['NAME', 'AVAILABLE', 'PROGRESSING', 'DEGRADED', 'SINCE'],
    row: (o) => [o.metadata.name, condition(o, 'Available')?.status ?? '', condition(o, 'Progressing')?.status ?? '', condition(o, 'Degraded')?.status ?? '', age(o.metadata.creationTimestamp)],
  },
};

function tableFor(info, objects, opts) {
  const spec = COLUMNS[info.kind] ?? { header: ['NAME', 'AGE'], row: (o) => [o.metadata.name, age(o.metadata.creationTimestamp)] };
  let header = opts.wide && spec.wide ? [...spec.header, ...spec.wide] : [...spec.header];
  let rows = objects.map((o) => spec.row(o, opts.wide));
  if (opts.showKind) rows = rows.map((r, i) => [`${resourceName(info)}/${objects[i].metadata.name}`, ...r.slice(1)]);
  for (const label of opts.labelColumns ?? []) {
    header.push(label.split('/').pop().toUpperCase());
    rows = rows.map((r, i) => [...r, objects[i].metadata.labels?.[label] ?? '']);
  }
  if (opts.showLabels) {
    header.push('LABELS');
    rows = rows.map((r, i) => [...r, Object.entries(objects[i].metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',') || '<none>']);
  }
  if (opts.allNamespaces && info.namespaced) {
    header = ['NAMESPACE', ...header];
    rows = rows.map((r, i) => [objects[i].metadata.namespace, ...r]);
  }
  return formatTable(opts.noHeaders ? null : header, rows);
}

/** Parses -o: { kind: 'table'|'wide'|'json'|'yaml'|'name'|'jsonpath'|'custom-columns', arg }. */
export function parseOutput(output) {
  if (output === undefined || output === '') return { kind: 'table' };
  const eq = output.indexOf('=');
  const kind = eq === -1 ? output : output.slice(0, eq);
  const arg = eq === -1 ? undefined : output.slice(eq + 1);
  if (['json', 'yaml', 'name', 'wide'].includes(kind) && arg === undefined) return { kind };
  if ((kind === 'jsonpath' || kind === 'custom-columns') && arg !== undefined) return { kind, arg };
  fail(
    1,
    `error: unable to match a printer suitable for the output format "${output}", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml`,
  );
}

export function asList(items) {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

export function toYaml(value) {
  return stringify(value, { sortMapEntries: true, lineWidth: 0 });
}

/** Renders objects of possibly several kinds: groups = [{ info, objects }]; single = one object asked for by name. */
export function render(groups, output, opts, single) {
  const flat = groups.flatMap((g) => g.objects);
  const data = single ? flat[0] : asList(flat);
  switch (output.kind) {
    case 'json':
      return `${JSON.stringify(data, null, 4)}\n`;
    case 'yaml':
      return toYaml(data);
    case 'name':
      return groups.flatMap((g) => g.objects.map((o) => `${resourceName(g.info)}/${o.metadata.name}\n`)).join('');
    case 'jsonpath':
      try {
        return renderJsonPath(output.arg, data);
      } catch (err) {
        fail(1, `error: error parsing jsonpath ${output.arg}, ${err.message}`);
      }
      return '';
    case 'custom-columns': {
      const columns = output.arg.split(',').map((c) => {
        const colon = c.indexOf(':');
        return { header: c.slice(0, colon), path: c.slice(colon + 1) };
      });
      const rows = flat.map((o) => columns.map((c) => selectPath(c.path, o).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',') || '<none>'));
      return formatTable(opts.noHeaders ? null : columns.map((c) => c.header), rows);
    }
    default: {
      const many = groups.filter((g) => g.objects.length > 0);
      return many.map((g) => tableFor(g.info, g.objects, { ...opts, wide: output.kind === 'wide', showKind: opts.showKind || many.length > 1 })).join('\n');
    }
  }
}

/** Kubernetes label selectors: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b); comma means and. */
export function matchesLabelSelector(selector, labels) {
  if (!selector) return true;
  const parts = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return parts.every((raw) => {
    const part = raw.trim();
    let m;
    if ((m = /^(\S+)\s+notin\s+\(([^)]*)\)$/.exec(part))) return !m[2].split(',').map((s) => s.trim()).includes(labels[m[1]]);
    if ((m = /^(\S+)\s+in\s+\(([^)]*)\)$/.exec(part))) return m[2].split(',').map((s) => s.trim()).includes(labels[m[1]]);
    if ((m = /^(\S+?)\s*!=\s*(\S*)$/.exec(part))) return labels[m[1]] !== m[2];
    if ((m = /^(\S+?)\s*==?\s*(\S*)$/.exec(part))) return labels[m[1]] === m[2];
    if ((m = /^!(\S+)$/.exec(part))) return !(m[1] in labels);
    return part in labels;
  });
}
