// Test helper: reads the QR codes back out of a page written by
// scripts/lib/qr-page.ts. It rasterizes each `<g class="qr">` module path to
// pixels (what a printer and a phone camera would see, minus the paper) and
// decodes them with jsQR, an independent QR decoder.
import jsQR from 'jsqr';
import { PNG } from 'pngjs';

const PX = 6; // pixels per module
const QUIET = 4; // modules of white border

function rasterize(size: number, d: string): PNG {
  const width = (size + 2 * QUIET) * PX;
  const png = new PNG({ width, height: width });
  png.data.fill(255);
  for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    const [x, y, n] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let py = (y + QUIET) * PX; py < (y + QUIET + 1) * PX; py++) {
      for (let px = (x + QUIET) * PX; px < (x + QUIET + n) * PX; px++) {
        const i = (py * width + px) * 4;
        png.data[i] = png.data[i + 1] = png.data[i + 2] = 0;
      }
    }
  }
  // Round-trip through PNG bytes, as an image file of the page would be.
  return PNG.sync.read(PNG.sync.write(png));
}

/** The decoded payload of every QR code on the page, in page order. */
export function decodeQrPage(svg: string): string[] {
  const groups = [...svg.matchAll(/<g class="qr" data-part="(\d+)" data-parts="(\d+)" data-modules="(\d+)"[^>]*><path fill="#000" d="([^"]+)"\/><\/g>/g)];
  return groups.map((g) => {
    const png = rasterize(Number(g[3]), g[4]!);
    const code = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    if (!code) throw new Error(`QR part ${g[1]} did not decode`);
    return code.data;
  });
}
