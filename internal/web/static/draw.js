// draw.js: probe and candidate minutiae side by side, paired minutiae
// linked and numbered alike.

const PANEL = 340; // pixels per panel on screen
const GAP = 40;

// Colors with enough contrast on the light panel background.
const PAIRED = "#0b5cad";
const UNPAIRED = "#6b6b6b";
const LINK = "rgba(196, 30, 58, 0.55)";

function fit(v) {
  const w = Math.max(v.width || 0, 1), h = Math.max(v.height || 0, 1);
  const s = Math.min(PANEL / w, (PANEL * 1.25) / h);
  return { s, w: w * s, h: h * s };
}

function minutia(ctx, x, y, angle, kind, color) {
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  if (kind === "bifurcation") ctx.rect(x - 3.5, y - 3.5, 7, 7);
  else ctx.arc(x, y, 3.8, 0, 2 * Math.PI);
  ctx.stroke();
  // Angles are counter-clockwise with y down in the image.
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 11 * Math.cos(angle), y - 11 * Math.sin(angle));
  ctx.stroke();
}

async function load(src) {
  if (!src) return null;
  const img = new Image();
  img.src = src;
  try {
    await img.decode();
    return img;
  } catch {
    return null;
  }
}

// comparison returns a canvas with probe (left) and candidate (right)
// finger images (when the node keeps them) with their minutiae overlaid,
// lines between the paired minutiae, and a text description for screen
// readers.
export async function comparison(probe, cand, pairs) {
  const [ia, ib] = await Promise.all([load(probe.image), load(cand.image)]);
  const a = fit(probe), b = fit(cand);
  const width = a.w + GAP + b.w, height = Math.max(a.h, b.h) + 24;
  const dpr = window.devicePixelRatio || 1;
  const c = document.createElement("canvas");
  c.width = Math.round(width * dpr);
  c.height = Math.round(height * dpr);
  c.style.width = width + "px";
  c.style.height = height + "px";
  c.setAttribute("role", "img");
  c.setAttribute("aria-label",
    `Finger ${probe.position}: probe ${probe.minutiae.length} minutiae, candidate ${cand.minutiae.length} minutiae, ${pairs.length} paired.` +
    (ia || ib ? "" : " The node keeps no images: minutiae only."));
  const ctx = c.getContext("2d");
  ctx.scale(dpr, dpr);
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#1a1a1a";
  ctx.fillText("Probe", 4, 14);
  ctx.fillText("Candidate", a.w + GAP + 4, 14);
  const oy = 20, bx = a.w + GAP;
  ctx.fillStyle = "#f4f1ea";
  ctx.fillRect(0, oy, a.w, a.h);
  ctx.fillRect(bx, oy, b.w, b.h);
  // Images are drawn faded so that the overlay stays readable.
  ctx.globalAlpha = 0.55;
  if (ia) ctx.drawImage(ia, 0, oy, a.w, a.h);
  if (ib) ctx.drawImage(ib, bx, oy, b.w, b.h);
  ctx.globalAlpha = 1;
  ctx.strokeStyle = "#b9b2a3";
  ctx.strokeRect(0.5, oy + 0.5, a.w - 1, a.h - 1);
  ctx.strokeRect(bx + 0.5, oy + 0.5, b.w - 1, b.h - 1);
  const pa = new Map(), pb = new Map();
  pairs.forEach((p, i) => { pa.set(p.a, i + 1); pb.set(p.b, i + 1); });
  const pos = (v, f, x0, i) => [x0 + v.minutiae[i].x * f.s, oy + v.minutiae[i].y * f.s];
  ctx.lineWidth = 1;
  ctx.strokeStyle = LINK;
  for (const p of pairs) {
    const [x1, y1] = pos(probe, a, 0, p.a), [x2, y2] = pos(cand, b, bx, p.b);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
  }
  const draw = (v, f, x0, paired) => {
    v.minutiae.forEach((m, i) => {
      const [x, y] = [x0 + m.x * f.s, oy + m.y * f.s];
      const n = paired.get(i);
      minutia(ctx, x, y, m.angle, m.kind, n ? PAIRED : UNPAIRED);
      if (n) {
        ctx.fillStyle = PAIRED;
        ctx.fillText(String(n), x + 5, y - 5);
      }
    });
  };
  draw(probe, a, 0, pa);
  draw(cand, b, bx, pb);
  return c;
}
