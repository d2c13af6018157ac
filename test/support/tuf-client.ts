import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";

/**
 * A real TUF client (tuf-js) against a running Worker: trusts `rootBytes`, refreshes, and can look up
 * and download targets through /targets (302) and /files, verifying length and hashes.
 */
export class TufClient {
  readonly dir: string;
  private readonly updater: Updater;

  /** With `dir`, reopens a client's cache (its trusted root and metadata), as an installer run again would. */
  constructor(baseUrl: string, rootBytes: Uint8Array | string, dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "tuf-edge-client-"));
    if (!dir) writeFileSync(join(this.dir, "root.json"), rootBytes);
    this.updater = new Updater({
      metadataBaseUrl: `${baseUrl}/metadata`,
      targetBaseUrl: `${baseUrl}/targets`,
      metadataDir: this.dir,
      targetDir: this.dir,
    });
  }

  private refreshed?: Promise<void>;

  /** One refresh per client, as an installer does (a tuf-js Updater refreshes once). */
  refresh(): Promise<void> {
    this.refreshed ??= this.updater.refresh();
    return this.refreshed;
  }

  /** Refreshes (once), then looks the path up through the bins; null when it is not published. */
  async targetInfo(path: string) {
    await this.refresh();
    return (await this.updater.getTargetInfo(path)) ?? null;
  }

  /** Refreshes (once), finds and downloads the target; returns its verified bytes. */
  async download(path: string): Promise<Buffer> {
    const info = await this.targetInfo(path);
    if (!info) throw new Error(`${path} is not published`);
    const file = join(this.dir, `download-${Math.random().toString(16).slice(2)}`);
    await this.updater.downloadTarget(info, file);
    return readFileSync(file);
  }

  /** The trusted metadata the client holds on disk (e.g. `timestamp`, `root`). */
  trusted(role: string): any {
    return JSON.parse(readFileSync(join(this.dir, `${role}.json`), "utf8"));
  }

  close() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
