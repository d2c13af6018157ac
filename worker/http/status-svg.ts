/**
 * Small bar charts as inline SVG, drawn on the server: the page needs no script and no request
 * beyond itself. Every text is escaped by the caller's `escape`.
 */
export interface BarChart {
  readonly id: string;
  readonly title: string;
  readonly values: readonly number[];
  /** Labels under the first, middle and last bar. */
  readonly axis: readonly [string, string, string];
  readonly unit: string;
}

const WIDTH = 300;
const HEIGHT = 80;
const TOP = 14;
const BOTTOM = 14;

export function barChartSvg(chart: BarChart, escape: (s: unknown) => string): string {
  const max = Math.max(1, ...chart.values);
  const n = Math.max(1, chart.values.length);
  const slot = WIDTH / n;
  const plot = HEIGHT - TOP - BOTTOM;
  const bars = chart.values
    .map((v, i) => {
      const h = v > 0 ? Math.max(1, (v / max) * plot) : 0;
      const x = (i * slot).toFixed(1);
      return `<rect x="${x}" y="${(TOP + plot - h).toFixed(1)}" width="${Math.max(1, slot - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${escape(`${v} ${chart.unit}`)}</title></rect>`;
    })
    .join("");
  const total = chart.values.reduce((a, b) => a + b, 0);
  const [first, middle, last] = chart.axis.map(escape);
  return `<figure class="chart" id="${escape(chart.id)}"><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escape(`${chart.title}: max ${max} ${chart.unit}, total ${total}`)}">
<text x="0" y="10" class="max">max ${escape(max)} ${escape(chart.unit)}</text>
<line x1="0" y1="${TOP + plot}" x2="${WIDTH}" y2="${TOP + plot}" class="axis"/>
<g class="bars">${bars}</g>
<text x="0" y="${HEIGHT - 2}">${first}</text><text x="${WIDTH / 2}" y="${HEIGHT - 2}" text-anchor="middle">${middle}</text><text x="${WIDTH}" y="${HEIGHT - 2}" text-anchor="end">${last}</text>
</svg><figcaption>${escape(chart.title)}</figcaption></figure>`;
}
