/** Headless Debian Chromium driven by playwright-core, and a small PNG decoder to judge screenshots. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = process.env.PORT25_CHROMIUM ?? "/usr/bin/chromium";

/** Flags that keep Chromium offline and quiet: it must reach nothing but the page it is given. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with a fresh profile directory. Throws (never skips) when the
 * executable is missing, naming the package to install.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. Browser tests need Debian's chromium: run "apt-get install -y chromium" (.ci/run installs it), or set PORT25_CHROMIUM to another Chromium binary.`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "port25-chromium-"));
  // launchPersistentContext owns --user-data-dir (Playwright refuses it in args); headless adds --headless.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface DecodedPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row by row. */
  pixels: Uint8Array;
}

/** Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are). */
export function decodePng(png: Buffer): DecodedPng {
  const signature = "89504e470d0a1a0a";
  if (png.subarray(0, 8).toString("hex") !== signature) throw new Error("not a PNG");
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.subarray(offset + 4, offset + 8).toString("latin1");
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const bitDepth = data[8];
      const colorType = data[9];
      const interlace = data[12];
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG (bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`);
      }
      channels = colorType === 6 ? 4 : 3;
    } else if (type === "IDAT") {
      idat.push(data);
    } else if (type === "IEND") {
      break;
    }
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (cur[i - channels] ?? 0) : 0;
      const b = prev[i] ?? 0;
      const c = i >= channels ? (prev[i - channels] ?? 0) : 0;
      const v = line[i] ?? 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) >> 1;
          break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`bad PNG filter ${String(filter)} on row ${y}`);
      }
      cur[i] = (v + predicted) & 0xff;
    }
    for (let px = 0; px < width; px++) {
      const o = (y * width + px) * 4;
      out[o] = cur[px * channels] ?? 0;
      out[o + 1] = cur[px * channels + 1] ?? 0;
      out[o + 2] = cur[px * channels + 2] ?? 0;
      out[o + 3] = channels === 4 ? (cur[px * channels + 3] ?? 0) : 255;
    }
    prev = cur;
  }
  return { width, height, pixels: out };
}

export interface PixelStats {
  /** Distinct colours, counted up to a cap. */
  distinctColours: number;
  /** Share of pixels that differ from the most common colour (the background). */
  nonBackgroundShare: number;
  /** Standard deviation of luminance over all pixels. */
  luminanceStdDev: number;
}

/** Colour statistics that tell a rendered page from a blank one. */
export function pixelStats(img: DecodedPng, cap = 10_000): PixelStats {
  const counts = new Map<number, number>();
  let sum = 0;
  let sumSq = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const r = img.pixels[i * 4] ?? 0;
    const g = img.pixels[i * 4 + 1] ?? 0;
    const b = img.pixels[i * 4 + 2] ?? 0;
    const key = (r << 16) | (g << 8) | b;
    if (counts.size < cap || counts.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
    const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += lum;
    sumSq += lum * lum;
  }
  const top = Math.max(0, ...counts.values());
  const mean = sum / n;
  return {
    distinctColours: counts.size,
    nonBackgroundShare: n === 0 ? 0 : 1 - top / n,
    luminanceStdDev: Math.sqrt(Math.max(0, sumSq / n - mean * mean)),
  };
}
