/**
 * zstd with raw-content dictionaries, on the WebAssembly build of `@bokuweb/zstd-wasm` 0.0.27 (zstd
 * 1.5, MIT). We drive the `.wasm` directly instead of through the package's Emscripten glue: the glue
 * fetches the file from `import.meta.url` (workerd cannot) or reads it with `fs` (Node only), and
 * guesses 1 MiB for outputs of unknown size. Here the caller hands in a compiled `WebAssembly.Module`
 * (workerd: a module import; Node: `loadZstd()` in ./node.ts), and the same code runs everywhere.
 */

/** The build's exports, named by its Emscripten glue (`dist/web/zstd.js`, pinned version). */
interface ZstdExports {
  readonly f: WebAssembly.Memory;
  /** __wasm_call_ctors */
  readonly g: () => void;
  readonly h: (code: number) => number; // ZSTD_isError
  readonly i: (size: number) => number; // ZSTD_compressBound
  readonly j: () => number; // ZSTD_createCCtx
  // ZSTD_compress_usingDict(cctx, dst, dstCapacity, src, srcSize, dict, dictSize, level)
  readonly l: (...args: [number, number, number, number, number, number, number, number]) => number;
  readonly n: () => number; // ZSTD_createDCtx
  // ZSTD_getFrameContentSize(src, srcSize): a u64 of which JS sees the low 32 bits (-1 unknown, -2 error)
  readonly p: (src: number, srcSize: number) => number;
  // ZSTD_decompress_usingDict(dctx, dst, dstCapacity, src, srcSize, dict, dictSize)
  readonly q: (...args: [number, number, number, number, number, number, number]) => number;
  readonly s: (size: number) => number; // malloc
  readonly t: (pointer: number) => void; // free
}

export class ZstdError extends Error {
  override readonly name = "ZstdError";
}

/** Level 3 is zstd's default; against a dictionary the output is tiny at any level (see bench). */
export const DEFAULT_LEVEL = 3;

export class Zstd {
  private readonly cctx: number;
  private readonly dctx: number;

  private constructor(private readonly wasm: ZstdExports) {
    wasm.g();
    this.cctx = wasm.j();
    this.dctx = wasm.n();
  }

  static async instantiate(module: WebAssembly.Module): Promise<Zstd> {
    let memory: WebAssembly.Memory | undefined;
    const fail = () => {
      throw new ZstdError("zstd aborted");
    };
    const imports = {
      a: {
        a: fail, // proc_exit
        b: () => {}, // emscripten_runtime_keepalive_clear
        c: fail, // abort
        d: () => 0, // setitimer: never used by (de)compression
        // emscripten_resize_heap: grow linear memory to the requested size (in bytes).
        e: (requested: number) => {
          const buffer = memory!.buffer;
          const pages = Math.ceil(((requested >>> 0) - buffer.byteLength) / 65536);
          try {
            memory!.grow(pages);
            return 1;
          } catch {
            return 0;
          }
        },
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    const wasm = instance.exports as unknown as ZstdExports;
    if (!(wasm.f instanceof WebAssembly.Memory) || typeof wasm.q !== "function") {
      throw new ZstdError("not the zstd-wasm 0.0.27 build");
    }
    memory = wasm.f;
    return new Zstd(wasm);
  }

  /** Compresses `content` with `dictionary` as raw content (a prefix zstd may copy from). */
  compress(content: Uint8Array, dictionary: Uint8Array, level = DEFAULT_LEVEL): Uint8Array {
    const bound = this.wasm.i(content.length);
    return this.withBuffers([content, dictionary], bound, ([src, dict], dst) =>
      this.wasm.l(this.cctx, dst, bound, src!, content.length, dict!, dictionary.length, level),
    );
  }

  /**
   * Decompresses one or more frames made with `dictionary`. Fails (never truncates) when the result
   * would exceed `maxLength`, and on any malformed, truncated or trailing input.
   */
  decompress(frames: Uint8Array, dictionary: Uint8Array, maxLength: number): Uint8Array {
    // Allocate what the first frame declares (our encoder always declares it), not maxLength: a
    // wrong or truncated declaration only makes zstd fail with "destination too small".
    const declared = this.frameContentSize(frames) ?? maxLength;
    if (declared < 0) throw new ZstdError("not a zstd frame");
    if (declared > maxLength) throw new ZstdError(`the frame declares ${declared} bytes, more than ${maxLength}`);
    return this.withBuffers([frames, dictionary], declared, ([src, dict], dst) =>
      this.wasm.q(this.dctx, dst, declared, src!, frames.length, dict!, dictionary.length),
    );
  }

  /** The content size the first frame's header declares; null when it declares none; < 0: no frame. */
  private frameContentSize(frames: Uint8Array): number | null {
    const header = frames.subarray(0, 18); // the longest frame header
    const p = this.malloc(header.length);
    try {
      new Uint8Array(this.wasm.f.buffer, p, header.length).set(header);
      const size = this.wasm.p(p, header.length);
      return size === -1 ? null : size;
    } finally {
      this.wasm.t(p);
    }
  }

  /** Copies inputs into wasm memory, runs `call` with an output buffer, and frees everything. */
  private withBuffers(inputs: Uint8Array[], outputSize: number, call: (inputs: number[], output: number) => number) {
    const pointers: number[] = [];
    try {
      for (const input of inputs) {
        const p = this.malloc(input.length);
        pointers.push(p);
        // Memory may have grown (and its buffer been replaced) on any malloc: take a fresh view.
        new Uint8Array(this.wasm.f.buffer, p, input.length).set(input);
      }
      const output = this.malloc(outputSize);
      pointers.push(output);
      const result = call(pointers.slice(0, inputs.length), output);
      if (this.wasm.h(result)) throw new ZstdError(`zstd error ${-result}`);
      return new Uint8Array(this.wasm.f.buffer, output, result >>> 0).slice();
    } finally {
      for (const p of pointers) this.wasm.t(p);
    }
  }

  private malloc(size: number): number {
    const p = this.wasm.s(Math.max(size, 1));
    if (p === 0) throw new ZstdError(`out of memory for ${size} bytes`);
    return p;
  }
}
