// A tiny dependency-free SVG bar chart (horizontal bars with a label and an annotation per row).

export interface Bar {
  label: string;
  value: number;
  note: string;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const rowH = 26, left = 130, width = 760, barMax = 420, top = 48;
  const height = top + bars.length * rowH + 30;
  const max = Math.max(1e-12, ...bars.map((b) => b.value));
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (b.value / max) * barMax);
    return [
      `<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${i === 0 ? "#9aa5b1" : "#3b82f6"}"/>`,
      `<text x="${(left + w + 6).toFixed(1)}" y="${y + 17}">${esc(`${b.value.toFixed(3)} ${unit}  ${b.note}`)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="16" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`,
    ...rows,
    `</svg>`,
    "",
  ].join("\n");
}
