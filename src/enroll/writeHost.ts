// An enrolled host -> the topology's new text, pure: a new host is appended under `hosts:`, an existing
// one gets its publicKey, ssh settings, site and roles updated, and every other byte stays as it was.
//
// Why yaml's CST and not Document.toString(): a Document keeps comments but lays out what it prints
// anew (the aligned columns of `sites:`, `[hub, database]` as `[ hub, database ]`, end-of-line
// comments moved to lines of their own, long flow mappings folded), so even our own example does not
// survive `parseDocument(text).toString()` unchanged. yaml's CST is lossless: its tokens stringify
// back to the file byte for byte. So the Document, composed from the very same tokens
// (keepSourceTokens), says where a value is, and the edit is made on that value's tokens; every new
// value is written by yaml itself, in the style of the hosts already there (flow or block, padding,
// quotes, indentation, a blank line between hosts). The result is read back with the strict loader
// and must equal the intended topology: a slip in here is a bug in fortress, never a silently
// different file.
import { isDeepStrictEqual } from 'node:util';
import { Composer, CST, Document, isAlias, isCollection, isMap, isScalar, isSeq, Parser, Scalar, visit, type Node, type Pair, type YAMLMap } from 'yaml';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { parseSourceDocument, type PathSegment, type SourceText } from '../load/sourceDocument.js';

export interface HostEnrollment {
  host: string;
  /** The host's WireGuard public key, as `wg pubkey` printed it on the host. */
  publicKey: string;
  /** `port` and `user` are written only when given; an existing host keeps its own otherwise. */
  ssh: { address: string; port?: number; user?: string; hostKey: string };
  /** Required for a new host unless the topology has exactly one site; an existing host keeps its own when absent. */
  site?: string;
  roles?: readonly string[];
}

/** What happened to the host's entry. */
export type HostChange = 'added' | 'updated' | 'unchanged';

export interface WrittenHost {
  /** The whole new topology; absent when diagnostics say why it could not be written. */
  text?: string;
  change?: HostChange;
  diagnostics: Diagnostic[];
}

// The order enroll writes fields in when it adds them: the schema's, which is also the example's.
const HOST_FIELDS = ['site', 'roles', 'endpoint', 'meshAddress', 'publicKey', 'stores', 'ssh', 'terraform', 'sysctl'];
const SSH_FIELDS = ['address', 'user', 'port', 'hostKey'];

export function writeHost(topology: SourceText, enrollment: HostEnrollment): WrittenHost {
  const loaded = parseSourceDocument(topology);
  if (!loaded.document) return { diagnostics: loaded.diagnostics };
  const { locate } = loaded.document;
  const value = loaded.document.value as Record<string, unknown>;
  const refuse = (path: readonly PathSegment[], message: string, hint: string): WrittenHost => ({ diagnostics: [error('FT531', locate(path, 'key'), message, hint)] });

  const source = openSource(topology.text);
  const root = source.document.contents;
  const hostsPair = isMap(root) ? findPair(root, 'hosts') : undefined;
  const hosts = hostsPair?.value;
  if (!isMap(hosts) || hosts.srcToken?.type !== 'block-map') {
    return refuse(['hosts'], 'enroll writes hosts into a `hosts:` mapping written one host per line, and this topology has none', 'write `hosts:` as a block mapping (each host name on a line of its own), as in the example topology');
  }
  if (source.anchorUsed(hosts)) return refuse(['hosts'], '`hosts:` carries an anchor that an alias elsewhere repeats; enroll would change both', 'write the repeated value out instead of the alias');
  const edit: Edit = { eol: source.eol, style: detectHostStyle(hosts) };
  const { host } = enrollment;
  const existing = findPair(hosts, host);

  if (!existing) {
    const sites = isPlainObject(value.sites) ? Object.keys(value.sites) : [];
    const site = enrollment.site ?? (sites.length === 1 ? sites[0] : undefined);
    if (site === undefined) {
      const listed = sites.length === 0 ? 'no sites' : `${sites.length} sites (${sites.join(', ')})`;
      return { diagnostics: [error('FT530', locate(['sites'], 'key'), `"${host}" is a new host and the topology has ${listed}: enroll does not guess which site the machine is in`, sites.length === 0 ? 'declare the site under `sites:` first, then run enroll with --site <site>' : 'name the site with --site <site>')] };
    }
    const entry = newHostEntry(enrollment, site);
    appendHost(edit, hosts, host, entry);
    return finish(topology, source, 'added', withHost(value, host, entry));
  }

  const entry = existing.value;
  if (isAlias(entry) || !isMap(entry)) {
    return refuse(['hosts', host], `the entry of "${host}" is ${isAlias(entry) ? `an alias (*${entry.source}) of another value, which enroll would change too` : 'not a mapping'}`, `write ${host}'s settings out as a mapping of its own`);
  }
  const touched = touchedValues(entry, enrollment);
  const shared = touched.find(([path, node]) => node && source.anchorUsed(node, { inPlace: path.length === 0 || (path.length === 1 && isMap(node)) }));
  if (shared) return refuse(['hosts', host, ...shared[0]], `"${host}" shares this value with another part of the topology through an anchor; enroll would change both`, 'write the value out in full where enroll needs to change it, instead of anchoring it');
  const refusal = uneditable(touched);
  if (refusal) return refuse(['hosts', host, ...refusal.path], refusal.message, refusal.hint);

  let changed = setScalar(edit, entry, 'publicKey', enrollment.publicKey, HOST_FIELDS);
  if (enrollment.site !== undefined) changed = setScalar(edit, entry, 'site', enrollment.site, HOST_FIELDS) || changed;
  if (enrollment.roles !== undefined) changed = setList(edit, entry, 'roles', enrollment.roles, HOST_FIELDS) || changed;
  const ssh = findPair(entry, 'ssh')?.value;
  if (isMap(ssh)) {
    for (const [key, field] of Object.entries(sshFields(enrollment))) changed = setScalar(edit, ssh, key, field, SSH_FIELDS, 'ssh.') || changed;
  } else {
    insertPair(edit, entry, 'ssh', sshFields(enrollment), HOST_FIELDS);
    changed = true;
  }
  return finish(topology, source, changed ? 'updated' : 'unchanged', withHost(value, host, updatedEntry(value, host, enrollment)));
}

type Touched = [path: PathSegment[], node: Node | undefined];

/** The values of a host's entry that enroll changes (or inserts into), by path below the entry; the entry itself first. */
function touchedValues(entry: YAMLMap, enrollment: HostEnrollment): Touched[] {
  const at = (map: YAMLMap, key: string) => findPair(map, key)?.value as Node | undefined;
  const ssh = at(entry, 'ssh');
  return [
    [[], entry],
    [['publicKey'], at(entry, 'publicKey')],
    ...(enrollment.site !== undefined ? [[['site'], at(entry, 'site')] as Touched] : []),
    ...(enrollment.roles !== undefined ? [[['roles'], at(entry, 'roles')] as Touched] : []),
    [['ssh'], ssh],
    ...(isMap(ssh) ? Object.keys(sshFields(enrollment)).map((key): Touched => [['ssh', key], at(ssh, key)]) : []),
  ];
}

/** A value enroll must change that has a shape it does not edit in place (an alias, the wrong kind, a block scalar, nothing). */
function uneditable(touched: Touched[]): { path: PathSegment[]; message: string; hint: string } | undefined {
  for (const [path, node] of touched.slice(1)) {
    if (!node) continue;
    const where = path.join('.');
    if (isAlias(node)) return { path, message: `${where} is an alias (*${node.source}) of another value, which enroll would change too`, hint: `write ${where} out in full` };
    const wanted = path[0] === 'roles' ? 'list' : path.length === 1 && path[0] === 'ssh' ? 'mapping' : 'value';
    const is = isSeq(node) ? 'list' : isMap(node) ? 'mapping' : 'value';
    if (is !== wanted) return { path, message: `${where} is a ${is}, where enroll writes a ${wanted}`, hint: `correct ${where} by hand; the schema says what it holds` };
    if (isScalar(node) && (!node.srcToken || !CST.isScalar(node.srcToken) || node.value === null)) return { path, message: `${where} has no value`, hint: `write ${where} by hand, or remove the key` };
    if (isScalar(node) && node.srcToken?.type === 'block-scalar') return { path, message: `${where} is a block scalar (| or >), which enroll does not rewrite`, hint: `write ${where} on one line` };
  }
  return undefined;
}

/** The new text, checked: it reads back, strictly, as exactly the topology intended. */
function finish(topology: SourceText, source: EditableSource, change: HostChange, intended: unknown): WrittenHost {
  const text = source.toString();
  const reread = parseSourceDocument({ path: topology.path, text });
  if (!reread.document || !isDeepStrictEqual(reread.document.value, intended)) {
    throw new Error(`enroll's edit of ${topology.path} does not read back as the intended topology: ${JSON.stringify(reread.diagnostics.map((d) => d.message))}`);
  }
  return { text, change, diagnostics: [] };
}

function newHostEntry(enrollment: HostEnrollment, site: string): Record<string, unknown> {
  return { site, ...(enrollment.roles ? { roles: [...enrollment.roles] } : {}), publicKey: enrollment.publicKey, ssh: sshFields(enrollment) };
}

function sshFields({ ssh }: HostEnrollment): Record<string, string | number> {
  return { address: ssh.address, ...(ssh.user !== undefined ? { user: ssh.user } : {}), ...(ssh.port !== undefined ? { port: ssh.port } : {}), hostKey: ssh.hostKey };
}

function updatedEntry(value: Record<string, unknown>, host: string, enrollment: HostEnrollment): Record<string, unknown> {
  const previous = (value.hosts as Record<string, Record<string, unknown>>)[host]!;
  const ssh = isPlainObject(previous.ssh) ? previous.ssh : {};
  return {
    ...previous,
    publicKey: enrollment.publicKey,
    ...(enrollment.site !== undefined ? { site: enrollment.site } : {}),
    ...(enrollment.roles !== undefined ? { roles: [...enrollment.roles] } : {}),
    ssh: { ...ssh, ...sshFields(enrollment) },
  };
}

/** The plain topology with one host's entry replaced: what the edited text must read as. */
function withHost(value: Record<string, unknown>, host: string, entry: Record<string, unknown>): unknown {
  return { ...value, hosts: { ...(value.hosts as Record<string, unknown>), [host]: entry } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === key);
}

// --- The source: CST tokens, and the Document composed from them.

interface EditableSource {
  document: Document.Parsed;
  /** The file's line ending: new lines use it too. */
  eol: string;
  /**
   * Whether changing `node` would change what an alias elsewhere repeats: its own anchor is used, or
   * (unless it is edited in place, keeping what is inside) an anchor set inside it is.
   */
  anchorUsed(node: Node, options?: { inPlace?: boolean }): boolean;
  toString(): string;
}

function openSource(text: string): EditableSource {
  const tokens = [...new Parser().parse(text)];
  const stringified = () => tokens.map((token) => CST.stringify(token)).join('');
  // The ground everything below stands on: untouched tokens are the file, byte for byte.
  if (stringified() !== text) throw new Error('yaml did not read the topology losslessly');
  // The strict loader's options; it has accepted this text already.
  const [document] = new Composer({ version: '1.2', schema: 'core', merge: false, resolveKnownTags: false, keepSourceTokens: true }).compose(tokens, true, text.length);
  const aliased = new Set<string>();
  visit(document!, { Alias: (_key, alias) => void aliased.add(alias.source) });
  const used = (node: unknown) => (isScalar(node) || isCollection(node)) && !!node.anchor && aliased.has(node.anchor);
  const usedInside = (node: unknown): boolean => {
    if (used(node)) return true;
    if (isMap(node)) return node.items.some((pair) => usedInside(pair.key) || usedInside(pair.value));
    if (isSeq(node)) return node.items.some(usedInside);
    return false;
  };
  return {
    document: document!,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    anchorUsed: (node, { inPlace = true } = {}) => (inPlace ? used(node) : usedInside(node)),
    toString: stringified,
  };
}

// --- The style of the hosts already in the file.

/** How one node is written: flow or block, padded inside its brackets, indented list items, quoted. */
interface NodeStyle {
  flow?: boolean;
  padded?: boolean;
  /** Block lists: items indented under their key (`roles:\n  - app`) rather than level with it. */
  indentSeq?: boolean;
  type?: Scalar.Type;
}

/** Styles by path below a host's entry: '' is the entry itself, 'ssh.hostKey' a field of its ssh. */
type HostStyle = Record<string, NodeStyle>;

interface Edit {
  eol: string;
  style: HostStyle;
}

/** Each path's style from the last host that has it; what no host shows follows the file's other collections. */
function detectHostStyle(hosts: YAMLMap): HostStyle {
  const style: HostStyle = {};
  const seen = { flow: 0, block: 0 };
  const padding: { seq?: boolean; map?: boolean } = {};
  const note = (path: string, node: unknown, column: number) => {
    if (isScalar(node) && node.type && !style[path]) style[path] = { type: node.type };
    if (!isCollection(node)) return;
    const token = node.srcToken;
    const padded = token?.type === 'flow-collection' && token.items.length > 0 ? isPadded(token) : undefined;
    if (padded !== undefined) padding[isSeq(node) ? 'seq' : 'map'] ??= padded;
    if (style[path]) return;
    const indentSeq = token?.type === 'block-seq' ? token.indent > column : undefined;
    style[path] = { flow: !!node.flow, ...(padded === undefined ? {} : { padded }), ...(indentSeq === undefined ? {} : { indentSeq }) };
  };
  for (const pair of [...hosts.items].reverse()) {
    const entry = pair.value;
    if (!isMap(entry)) continue;
    note('', entry, hosts.srcToken?.type === 'block-map' ? hosts.srcToken.indent : 0);
    const column = entry.srcToken?.type === 'block-map' ? entry.srcToken.indent : 0;
    for (const field of entry.items) {
      if (!isScalar(field.key)) continue;
      const key = String(field.key.value);
      note(key, field.value, column);
      if (isCollection(field.value)) seen[field.value.flow ? 'flow' : 'block']++;
      if (isMap(field.value)) for (const inner of field.value.items) if (isScalar(inner.key)) note(`${key}.${String(inner.key.value)}`, inner.value, column);
    }
  }
  // Lists and mappings as most of the hosts' own are written (flow when there are none), padded as
  // the file pads its other lists and mappings (prettier pads `{ a: 1 }` but not `[a]`), host
  // keys double-quoted as in the README.
  const flow = seen.flow >= seen.block;
  style['roles'] ??= { flow, padded: padding.seq ?? false };
  style['ssh'] ??= { flow, padded: padding.map ?? true };
  style['ssh.hostKey'] ??= { type: Scalar.QUOTE_DOUBLE };
  return style;
}

function isPadded(token: CST.FlowCollection): boolean {
  return token.items[0]?.start.some((t) => t.type === 'space') ?? false;
}

// --- Edits on the tokens.

/** Sets a scalar field of a mapping, keeping its quotes and whatever follows it on the line; inserts it when missing. Whether anything changed. */
function setScalar(edit: Edit, map: YAMLMap, key: string, value: string | number, order: readonly string[], prefix = ''): boolean {
  const node = findPair(map, key)?.value;
  if (node === undefined) {
    insertPair(edit, map, key, value, order, prefix);
    return true;
  }
  if (!isScalar(node) || !node.srcToken || !CST.isScalar(node.srcToken)) throw new Error(`${prefix}${key} was checked to be a scalar`);
  if (node.value === value) return false;
  const written = generatedItem(edit, key, value, { flow: !!map.flow, column: 0, step: 2, path: '', style: { '': { type: node.type ?? Scalar.PLAIN } } }).value;
  if (!written || !CST.isScalar(written) || written.type === 'block-scalar') throw new Error(`yaml wrote ${key} as something other than a flow scalar`);
  Object.assign(node.srcToken, { type: written.type, source: written.source });
  return true;
}

/** Sets a list field (roles) in the style its current list is written in; inserts it when missing. */
function setList(edit: Edit, map: YAMLMap, key: string, values: readonly string[], order: readonly string[]): boolean {
  const node = findPair(map, key)?.value;
  if (!isSeq(node)) {
    insertPair(edit, map, key, [...values], order);
    return true;
  }
  if (isDeepStrictEqual(node.toJSON(), [...values])) return false;
  const token = node.srcToken;
  if (token?.type === 'flow-collection') {
    const padded = token.items.length > 0 ? isPadded(token) : !!edit.style[key]?.padded;
    const written = generatedItem(edit, key, [...values], { flow: true, column: 0, step: 2, path: '', style: { '': { flow: true, padded } } }).value;
    if (written?.type !== 'flow-collection') throw new Error('yaml wrote a flow list as something else');
    // The brackets and whatever follows the closing one stay; between them is the new list.
    token.items = written.items;
    return true;
  }
  if (token?.type !== 'block-seq' || map.srcToken?.type !== 'block-map') throw new Error(`${key} is a block list inside a flow mapping`);
  const column = map.srcToken.indent;
  const written = generatedItem(edit, key, [...values], { flow: false, column, step: 2, path: '', style: { '': { flow: false, indentSeq: token.indent > column } } });
  if (written.value?.type === 'block-seq') {
    token.items = written.value.items;
    return true;
  }
  // An empty list has no block form: `roles: []` takes the place of the block list, after its key.
  const item = map.srcToken.items.find((candidate) => candidate.value === token);
  if (!item || !written.sep || written.value?.type !== 'flow-collection') throw new Error('yaml wrote a block list as something else');
  Object.assign(item, { sep: written.sep, value: written.value });
  return true;
}

/** Adds `key: value` to a mapping (a host's entry, or its ssh), after the fields that come before it in `order`. */
function insertPair(edit: Edit, map: YAMLMap, key: string, value: unknown, order: readonly string[], prefix = ''): void {
  const token = map.srcToken;
  const rank = (name: string | undefined) => (name === undefined ? -1 : order.includes(name) ? order.indexOf(name) : order.length);
  const generation = { path: `${prefix}${key}`, style: edit.style };
  if (token?.type === 'block-map') {
    const after = token.items.filter((item) => item.key && rank(keyOf(item)) <= rank(key)).at(-1);
    const index = after ? token.items.indexOf(after) + 1 : 0;
    const item = generatedItem(edit, key, value, { ...generation, flow: false, column: token.indent, step: stepBelow(map) });
    item.start = [space(token.indent)];
    // The first item's indentation is written before it (in its parent's tokens): the new first takes it over.
    if (index === 0) [item.start, token.items[0]!.start] = [token.items[0]!.start, item.start];
    else endWithNewline(token.items[index - 1]!, edit.eol);
    token.items.splice(index, 0, item as CST.BlockMap['items'][number]);
    return;
  }
  if (token?.type === 'flow-collection') {
    const after = token.items.filter((item) => rank(keyOf(item)) <= rank(key)).at(-1);
    const index = after ? token.items.indexOf(after) + 1 : 0;
    const item = generatedItem(edit, key, value, { ...generation, flow: true, column: 0, step: 2 });
    const comma: CST.SourceToken[] = [{ type: 'comma', offset: 0, indent: token.indent, source: ',' }, space(1)];
    if (token.items.length === 0) item.start = [];
    else if (index === 0) [item.start, token.items[0]!.start] = [token.items[0]!.start, comma];
    else {
      item.start = comma;
      // Appended: the padding before the closing brace moves behind the new last item.
      if (index === token.items.length) {
        const before = tailOf(token.items[index - 1]!);
        const after = tailOf(item);
        if (before?.end && after) [after.end, before.end] = [[...(after.end ?? []), ...before.end], []];
      }
    }
    token.items.splice(index, 0, item);
    return;
  }
  throw new Error(`cannot add ${key} to a mapping without source tokens`);
}

/** A new host at the end of `hosts:` (before comment lines that close the mapping), in the style of the others. */
function appendHost(edit: Edit, hosts: YAMLMap, name: string, entry: Record<string, unknown>): void {
  const token = hosts.srcToken as CST.BlockMap;
  const keyed = token.items.filter((item) => item.key);
  const last = keyed.at(-1);
  const index = last ? token.items.indexOf(last) + 1 : token.items.length;
  // A blank line before the new host when at least half the hosts after the first have one.
  const spaced = keyed.slice(1).filter((item) => item.start[0]?.type === 'newline').length;
  const blankLine = keyed.length > 1 && spaced * 2 >= keyed.length - 1;
  const item = generatedItem(edit, name, entry, { flow: false, column: token.indent, step: stepBelow(hosts), path: '', style: edit.style });
  item.start = blankLine ? [{ type: 'newline', offset: 0, indent: 0, source: edit.eol }, space(token.indent)] : [space(token.indent)];
  if (last) endWithNewline(last, edit.eol);
  token.items.splice(index, 0, item as CST.BlockMap['items'][number]);
}

/** How much deeper than a block mapping's keys its nested block mappings are indented: as the file does, or two. */
function stepBelow(map: YAMLMap): number {
  const token = map.srcToken as CST.BlockMap;
  for (const pair of [...map.items].reverse()) {
    const inner = pair.value;
    if (isMap(inner) && inner.srcToken?.type === 'block-map' && inner.srcToken.indent > token.indent) return inner.srcToken.indent - token.indent;
  }
  return 2;
}

interface Generation {
  flow: boolean;
  column: number;
  step: number;
  /** The style path of the generated item's value ('' for a host's entry). */
  path: string;
  style: HostStyle;
}

/**
 * `key: value` as yaml writes it, as tokens to graft: the mapping `{ key: value }` is stringified in
 * the style asked for (flow, or block with its keys at `column`), parsed, and its one item returned.
 * No line width, so a long host key stays on one line.
 */
function generatedItem(edit: Edit, key: string, value: unknown, how: Generation): CST.CollectionItem {
  const document = new Document({ [key]: value }, { version: '1.2' });
  const map = document.contents as YAMLMap;
  map.flow = how.flow;
  const walk = (node: unknown, path: string) => {
    const wanted = how.style[path];
    // An empty list or mapping has only a flow form (`[]`), whatever its neighbours look like.
    if (isCollection(node) && wanted?.flow !== undefined) node.flow = wanted.flow || node.items.length === 0;
    if (isScalar(node) && typeof node.value === 'string' && wanted?.type) node.type = wanted.type;
    if (isMap(node)) for (const pair of node.items) if (isScalar(pair.key)) walk(pair.value, join(path, String(pair.key.value)));
  };
  walk(map.items[0]!.value, how.path);
  const indentSeq = how.style[how.path]?.indentSeq ?? how.style[join(how.path, 'roles')]?.indentSeq ?? true;
  const text = document.toString({ lineWidth: 0, minContentWidth: 0, indent: how.step, indentSeq, flowCollectionPadding: false });
  const indented = text
    .split('\n')
    .map((line) => (line === '' ? line : `${' '.repeat(how.column)}${line}`))
    .join(edit.eol);
  const parsed = [...new Parser().parse(indented)].find((token): token is CST.Document => token.type === 'document');
  const collection = parsed?.value;
  const item = collection && 'items' in collection ? collection.items[0] : undefined;
  if (!item) throw new Error(`yaml's own output for ${key} did not parse back`);
  // yaml pads all brackets or none; the file may pad mappings but not lists.
  padFlowCollections(item, how.path, how.style);
  return item;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function padFlowCollections(item: CST.CollectionItem, path: string, style: HostStyle): void {
  const value = item.value;
  if (value?.type === 'flow-collection' && style[path]?.padded && value.items.length > 0) {
    value.items[0]!.start.unshift(space(1));
    const tail = tailOf(value.items.at(-1)!);
    if (tail) tail.end = [...(tail.end ?? []), space(1)];
  }
  if (value && 'items' in value) {
    for (const inner of value.items) {
      const key = keyOf(inner);
      if (key !== undefined) padFlowCollections(inner, join(path, key), style);
    }
  }
}

/** The token whose `end` holds what follows a flow item up to the next comma or bracket: its value's, or its key's. */
function tailOf(item: CST.CollectionItem): { end?: CST.SourceToken[] } | undefined {
  return (item.value ?? item.key ?? undefined) as { end?: CST.SourceToken[] } | undefined;
}

/** A file that ends without a newline ends inside its last item; an item added after it must start on a line of its own. */
function endWithNewline(item: CST.CollectionItem, eol: string): void {
  if (CST.stringify(item).endsWith('\n')) return;
  let token: CST.Token | null | undefined = item.value;
  while (token && (token.type === 'block-map' || token.type === 'block-seq') && token.items.length > 0) token = token.items.at(-1)!.value;
  const holder = (token ?? item.key) as { end?: CST.SourceToken[] } | null | undefined;
  if (holder) holder.end = [...(holder.end ?? []), { type: 'newline', offset: 0, indent: 0, source: eol }];
}

function keyOf(item: CST.CollectionItem): string | undefined {
  return item.key ? CST.resolveAsScalar(item.key)?.value : undefined;
}

function space(width: number): CST.SourceToken {
  return { type: 'space', offset: 0, indent: 0, source: ' '.repeat(width) };
}
