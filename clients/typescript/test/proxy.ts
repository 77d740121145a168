// A TCP proxy in front of a server, to break connections the way a network
// does: drop an answer after the server has acted on the request, or cut
// every open connection in the middle of a stream.
import net from "node:net";

interface Drop {
  match: (requestHead: string) => boolean;
  resolve: (droppedAnswer: string) => void;
}

export class Proxy {
  /** Connections accepted so far. */
  connections = 0;
  /** The request lines sent through so far, such as "GET /v1/jobs/… HTTP/1.1". */
  readonly requests: string[] = [];
  private readonly sockets = new Set<net.Socket>();
  private drop: Drop | undefined;

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  /** Starts a proxy on a free loopback port in front of target (http://HOST:PORT). */
  static start(target: string): Promise<Proxy> {
    const t = new URL(target);
    return new Promise((resolve, reject) => {
      let proxy: Proxy;
      const server = net.createServer((client) => proxy.accept(client, t.hostname, Number(t.port)));
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        proxy = new Proxy(server, `http://127.0.0.1:${port}`);
        resolve(proxy);
      });
    });
  }

  /**
   * Lets the next request whose head matches through to the server, then
   * drops its answer: both connections are cut once the whole answer has
   * come. Resolves with the answer the client never saw.
   */
  dropNextAnswer(match: (requestHead: string) => boolean): Promise<string> {
    return new Promise((resolve) => {
      this.drop = { match, resolve };
    });
  }

  /** Cuts every open connection. */
  cutAll(): void {
    for (const s of this.sockets) {
      s.destroy();
    }
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, host: string, port: number): void {
    this.connections++;
    const upstream = net.connect(port, host);
    this.sockets.add(client).add(upstream);
    const forget = () => {
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", forget).on("error", forget);
    upstream.on("close", forget).on("error", forget);
    let dropping: Drop | undefined;
    let answer = Buffer.alloc(0);
    client.on("data", (data: Buffer) => {
      const head = data.toString("latin1");
      const isHead = /^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(head);
      if (isHead) {
        this.requests.push(head.slice(0, head.indexOf("\r\n")));
      }
      if (this.drop && isHead && this.drop.match(head)) {
        dropping = this.drop;
        this.drop = undefined;
      }
      upstream.write(data);
    });
    upstream.on("data", (data: Buffer) => {
      if (!dropping) {
        client.write(data);
        return;
      }
      answer = Buffer.concat([answer, data]);
      if (complete(answer)) {
        dropping.resolve(answer.toString("utf8"));
        dropping = undefined;
        forget();
      }
    });
  }
}

/** Reports whether buf holds a whole HTTP answer. */
function complete(buf: Buffer): boolean {
  const text = buf.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) {
    return false;
  }
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
  if (length) {
    return buf.length >= end + 4 + Number(length[1]);
  }
  return text.endsWith("\r\n0\r\n\r\n");
}

/** The body of a whole HTTP answer, de-chunked. */
export function bodyOf(answer: string): string {
  const end = answer.indexOf("\r\n\r\n");
  const head = answer.slice(0, end);
  let rest = answer.slice(end + 4);
  if (!/\r\ntransfer-encoding: *chunked/i.test(head)) {
    return rest;
  }
  let body = "";
  for (;;) {
    const nl = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, nl), 16);
    if (!size) {
      return body;
    }
    body += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
}
