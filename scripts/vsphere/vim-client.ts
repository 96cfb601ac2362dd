import { Agent, request } from 'node:https';
import { performance } from 'node:perf_hooks';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

// The few vSphere Web Services (vim25 SOAP) calls herd needs, in one module:
// the service content, a session (Login/Logout), a container view, the
// property collector (with continuation), and one inventory path lookup.
// Requests are built and answers parsed by fast-xml-parser; no XML is pasted
// together from strings. Every call is one HTTPS round trip, counted.

/** A managed object reference: a type and an id, e.g. VirtualMachine vm-42. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export const moRefKey = (ref: MoRef): string => `${ref.type}:${ref.value}`;

/** One element of an answer, namespace prefixes dropped from its name. */
export class XmlNode {
  constructor(
    readonly name: string,
    readonly attributes: Readonly<Record<string, string>>,
    readonly children: readonly XmlNode[],
    readonly text: string,
  ) {}

  child(name: string): XmlNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  all(name: string): XmlNode[] {
    return this.children.filter((c) => c.name === name);
  }

  /** The xsi:type of a polymorphic value (e.g. VirtualDisk among devices), whatever prefix the server gave XMLSchema-instance. */
  get xsiType(): string | undefined {
    const key = Object.keys(this.attributes).find((k) => k.endsWith(':type'));
    return key === undefined ? undefined : this.attributes[key];
  }

  get moRef(): MoRef {
    const type = this.attributes['type'];
    if (type === undefined) throw new Error(`<${this.name}> is not a managed object reference`);
    return { type, value: this.text };
  }
}

/** A SOAP fault from vCenter: `type` is the vim25 fault type, e.g. InvalidLogin or NotAuthenticated. */
export class VimFault extends Error {
  constructor(
    readonly method: string,
    readonly type: string,
    readonly faultString: string,
  ) {
    super(`${method}: ${type}${faultString === '' ? '' : `: ${faultString}`}`);
    this.name = 'VimFault';
  }
}

/** The server's certificate could not be verified (and the environment does not allow that). */
export class UnverifiedCertificateError extends Error {
  constructor(
    readonly server: string,
    readonly code: string,
    reason: string,
  ) {
    super(`the TLS certificate of vCenter ${server} cannot be verified (${code}: ${reason})`);
    this.name = 'UnverifiedCertificateError';
  }
}

/** One HTTPS request and its answer, as benchmarks and reports count them. */
export interface RoundTrip {
  readonly method: string;
  readonly milliseconds: number;
}

export interface VimClientOptions {
  /** vCenter's host name or address; the SDK answers at https://<server>/sdk. */
  readonly server: string;
  /** Accept any certificate: only when the environment file says allowUnverifiedSsl: true. */
  readonly allowUnverifiedSsl: boolean;
  /** PEM certificates to trust; Node's own roots when left out. */
  readonly ca?: readonly string[];
  /** Seconds one round trip may take. */
  readonly timeoutSeconds?: number;
}

export interface ServiceContent {
  readonly rootFolder: MoRef;
  readonly propertyCollector: MoRef;
  readonly viewManager: MoRef;
  readonly sessionManager: MoRef;
  readonly searchIndex: MoRef;
  /** e.g. "VMware vCenter Server 8.0.2 build-22617221" */
  readonly fullName: string;
  readonly apiType: string;
}

/** Which objects a property collector request starts from. */
export type ObjectSelection =
  | { readonly obj: MoRef }
  /** Every object a container view shows (the view itself is skipped). */
  | { readonly view: MoRef };

export interface PropertyRequest {
  readonly objects: readonly ObjectSelection[];
  /** Per managed object type (subtypes included), the property paths to read. */
  readonly properties: readonly { readonly type: string; readonly paths: readonly string[] }[];
  /** Objects per answer; the rest comes with ContinueRetrievePropertiesEx. */
  readonly maxObjects?: number;
}

export interface ObjectContent {
  readonly ref: MoRef;
  /** Property path → its value element (absent when vCenter has no value for it). */
  readonly properties: ReadonlyMap<string, XmlNode>;
}

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** vim25 6.5: everything herd reads exists there, and vCenter 7 and 8 answer it unchanged. */
const SOAP_ACTION = 'urn:vim25/6.5';
const SESSION_COOKIE = 'vmware_soap_session';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });
const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false });

type Ordered = Record<string, unknown>;

function toNodes(ordered: readonly Ordered[]): XmlNode[] {
  const nodes: XmlNode[] = [];
  for (const entry of ordered) {
    const name = Object.keys(entry).find((k) => k !== ':@');
    if (name === undefined || name === '#text' || name.startsWith('?')) continue;
    const content = entry[name] as Ordered[];
    const text = content.map((c) => (typeof c['#text'] === 'string' ? c['#text'] : '')).join('');
    nodes.push(new XmlNode(name.slice(name.indexOf(':') + 1), (entry[':@'] as Record<string, string> | undefined) ?? {}, toNodes(content), text));
  }
  return nodes;
}

const ref = (r: MoRef): Record<string, string> => ({ '@_type': r.type, '#text': r.value });

/**
 * A connection to one vCenter. Keeps one TLS connection open (keep-alive)
 * and the session cookie in memory only.
 */
export class VimClient {
  readonly roundTrips: RoundTrip[] = [];
  private readonly agent: Agent;
  private cookie: string | undefined;
  private content: ServiceContent | undefined;

  constructor(private readonly options: VimClientOptions) {
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 1,
      rejectUnauthorized: !options.allowUnverifiedSsl,
      ...(options.ca === undefined ? {} : { ca: [...options.ca] }),
    });
  }

  get serviceContent(): ServiceContent {
    if (this.content === undefined) throw new Error('call retrieveServiceContent first');
    return this.content;
  }

  async retrieveServiceContent(): Promise<ServiceContent> {
    const r = await this.call('RetrieveServiceContent', { _this: ref({ type: 'ServiceInstance', value: 'ServiceInstance' }) });
    const moRefOf = (name: string): MoRef => {
      const node = r.child(name);
      if (node === undefined) throw new Error(`vCenter's service content has no ${name}: is ${this.options.server} a vCenter Server?`);
      return node.moRef;
    };
    const about = r.child('about');
    this.content = {
      rootFolder: moRefOf('rootFolder'),
      propertyCollector: moRefOf('propertyCollector'),
      viewManager: moRefOf('viewManager'),
      sessionManager: moRefOf('sessionManager'),
      searchIndex: moRefOf('searchIndex'),
      fullName: about?.child('fullName')?.text ?? '',
      apiType: about?.child('apiType')?.text ?? '',
    };
    return this.content;
  }

  async login(userName: string, password: string): Promise<void> {
    await this.call('Login', { _this: ref(this.serviceContent.sessionManager), userName, password });
  }

  async logout(): Promise<void> {
    if (this.cookie === undefined) return;
    await this.call('Logout', { _this: ref(this.serviceContent.sessionManager) });
    this.cookie = undefined;
  }

  /** The object at an inventory path such as "dc1" or "emea/dc1"; undefined when there is none. */
  async findByInventoryPath(inventoryPath: string): Promise<MoRef | undefined> {
    const r = await this.call('FindByInventoryPath', { _this: ref(this.serviceContent.searchIndex), inventoryPath });
    return r.text === '' && r.attributes['type'] === undefined ? undefined : r.moRef;
  }

  /** A view of every object below `container` (of the given types; all when empty). It lives as long as the session. */
  async createContainerView(container: MoRef, types: readonly string[], recursive: boolean): Promise<MoRef> {
    const r = await this.call('CreateContainerView', { _this: ref(this.serviceContent.viewManager), container: ref(container), type: [...types], recursive });
    return r.moRef;
  }

  /** RetrievePropertiesEx, then ContinueRetrievePropertiesEx until vCenter has sent every object. */
  async retrieveProperties(req: PropertyRequest): Promise<ObjectContent[]> {
    const specSet = {
      propSet: req.properties.map((p) => ({ type: p.type, pathSet: [...p.paths] })),
      objectSet: req.objects.map((o) =>
        'view' in o
          ? { obj: ref(o.view), skip: true, selectSet: [{ '@_xsi:type': 'TraversalSpec', name: 'view', type: 'ContainerView', path: 'view', skip: false }] }
          : { obj: ref(o.obj), skip: false },
      ),
    };
    const collector = ref(this.serviceContent.propertyCollector);
    let result: XmlNode | undefined = await this.call('RetrievePropertiesEx', {
      _this: collector,
      specSet,
      options: req.maxObjects === undefined ? {} : { maxObjects: req.maxObjects },
    });
    const objects: ObjectContent[] = [];
    while (result !== undefined) {
      objects.push(...result.all('objects').map(objectContent));
      const token: string | undefined = result.child('token')?.text;
      result = token === undefined ? undefined : await this.call('ContinueRetrievePropertiesEx', { _this: collector, token });
    }
    return objects;
  }

  close(): void {
    this.agent.destroy();
  }

  /** One SOAP call: the method's `returnval` element (an empty one when the method returns nothing). */
  private async call(method: string, args: Record<string, unknown>): Promise<XmlNode> {
    const body = builder.build({
      'soapenv:Envelope': {
        '@_xmlns:soapenv': SOAP_ENV,
        '@_xmlns:xsi': XSI,
        'soapenv:Body': { [method]: { '@_xmlns': 'urn:vim25', ...args } },
      },
    }) as string;
    const started = performance.now();
    const answer = await this.post(body);
    this.roundTrips.push({ method, milliseconds: performance.now() - started });

    const envelope = toNodes(parser.parse(answer) as Ordered[]).find((n) => n.name === 'Envelope');
    const soapBody = envelope?.child('Body');
    if (soapBody === undefined) throw new Error(`${method}: vCenter ${this.options.server} answered something that is not SOAP`);
    const fault = soapBody.child('Fault');
    if (fault !== undefined) {
      const detail = fault.child('detail')?.children[0];
      throw new VimFault(method, detail?.xsiType ?? detail?.name.replace(/Fault$/, '') ?? 'unknown fault', fault.child('faultstring')?.text ?? '');
    }
    const response = soapBody.child(`${method}Response`);
    if (response === undefined) throw new Error(`${method}: vCenter ${this.options.server} sent no ${method}Response`);
    return response.child('returnval') ?? new XmlNode('returnval', {}, [], '');
  }

  private post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.options.server,
          port: 443,
          path: '/sdk',
          method: 'POST',
          agent: this.agent,
          timeout: (this.options.timeoutSeconds ?? 60) * 1000,
          headers: {
            'Content-Type': 'text/xml; charset=utf-8',
            SOAPAction: SOAP_ACTION,
            ...(this.cookie === undefined ? {} : { Cookie: this.cookie }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const session = (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
            if (session !== undefined) this.cookie = session;
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from vCenter ${this.options.server} within ${this.options.timeoutSeconds ?? 60} s`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(CERTIFICATE_ERRORS.has(err.code ?? '') ? new UnverifiedCertificateError(this.options.server, err.code!, err.message) : err));
      req.end(body);
    });
  }
}

/** OpenSSL's verification failures as Node reports them: the certificate, not the network, is the problem. */
const CERTIFICATE_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function objectContent(node: XmlNode): ObjectContent {
  const obj = node.child('obj');
  if (obj === undefined) throw new Error('an ObjectContent without obj');
  const missing = node.all('missingSet');
  if (missing.length > 0) {
    const what = missing.map((m) => `${m.child('path')?.text ?? '?'} (${m.child('fault')?.child('fault')?.xsiType ?? 'fault'})`).join(', ');
    throw new Error(`vCenter would not read ${what} of ${obj.moRef.type} ${obj.text}: does VSPHERE_USER have read access to the whole datacenter?`);
  }
  const properties = new Map<string, XmlNode>();
  for (const p of node.all('propSet')) {
    const name = p.child('name')?.text;
    const val = p.child('val');
    if (name !== undefined && val !== undefined) properties.set(name, val);
  }
  return { ref: obj.moRef, properties };
}
