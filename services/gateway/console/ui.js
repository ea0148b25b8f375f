// Small DOM helpers: elements are built with text nodes, never from HTML strings.
import { fromMicros } from "./amounts.js";

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const SVG = "http://www.w3.org/2000/svg";
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  append(element, children);
  return element;
}

export function money(value) {
  if (!value) return "—";
  const currency = value.currency_code || "USD";
  // Exact decimal text: Intl formats a string without passing through a float.
  const exact = fromMicros(String(value.amount_micros || "0"), currency);
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, maximumFractionDigits: 4 })
      .format(exact);
  } catch {
    return `${exact} ${currency}`;
  }
}

export function micros(amount, currency) {
  return money({ amount_micros: amount, currency_code: currency });
}

export function count(value) {
  return new Intl.NumberFormat("en").format(Number(value || 0));
}

export function day(timestamp) {
  return timestamp ? String(timestamp).slice(0, 10) : "—";
}

export function words(enumName, prefix) {
  if (!enumName) return "—";
  const text = enumName.startsWith(prefix) ? enumName.slice(prefix.length) : enumName;
  return text.toLowerCase().replaceAll("_", " ");
}

export function badge(text) {
  return h("span", { class: `badge ${text.replaceAll(" ", "-")}` }, text);
}

export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

export function daysAgo(n) {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - n);
  return isoDay(date);
}

export function table(caption, columns, rows, empty = "Nothing to show yet.") {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : "" }, c.label)));
  const body = rows.length
    ? rows.map((row) =>
        h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : "" }, c.cell(row)))))
    : [h("tr", {}, h("td", { colspan: columns.length }, empty))];
  return h("table", {}, h("caption", {}, caption), h("thead", {}, head), h("tbody", {}, body));
}

export function field(label, input) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return [h("label", { for: id }, label), input];
}

export function filter(label, input) {
  return h("label", {}, label, input);
}

export function select(name, options, value = "") {
  return h("select", { name },
    options.map(([optionValue, text]) =>
      h("option", { value: optionValue, selected: optionValue === value }, text)));
}

export function figure(label, value, testId) {
  return h("div", { class: "figure", "data-figure": testId },
    h("div", { class: "label" }, label), h("div", { class: "value" }, value));
}

export function toast(text) {
  const element = document.getElementById("toast");
  element.textContent = text;
  element.classList.add("shown");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => element.classList.remove("shown"), 3500);
}

export function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const PALETTE = ["#0b5cad", "#5d8fc9", "#c0622b", "#1d6b35", "#7a4fa3", "#8a4b00"];

// Bars per label, one series or several side by side; every bar has a <title> for its value,
// and the chart's accessible name says what it shows (a table beside it has the numbers).
export function barChart(title, labels, series, format = count) {
  const width = 760, height = 240, left = 56, bottom = 34, top = 12;
  const max = Math.max(1, ...series.flatMap((one) => one.values.map(Number)));
  const band = (width - left - 8) / Math.max(1, labels.length);
  const bar = Math.max(2, (band * 0.8) / series.length);
  const y = (value) => top + (height - top - bottom) * (1 - Number(value) / max);
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (max * tick) / 4;
    svg.append(
      s("line", { x1: left, x2: width - 4, y1: y(value), y2: y(value), stroke: "#e2e6ec" }),
      s("text", { x: left - 6, y: y(value) + 4, "text-anchor": "end" }, format(Math.round(value))));
  }
  const every = Math.ceil(labels.length / 12);
  labels.forEach((label, index) => {
    const x0 = left + index * band + band * 0.1;
    series.forEach((one, n) => {
      const value = Number(one.values[index] || 0);
      svg.append(s("rect", {
        x: x0 + n * bar, y: y(value), width: bar - 1, height: Math.max(0, y(0) - y(value)),
        fill: one.color || PALETTE[n % PALETTE.length],
      }, s("title", {}, `${label} · ${one.name}: ${format(value)}`)));
    });
    if (index % every === 0) {
      svg.append(s("text", { x: x0 + (band * 0.8) / 2, y: height - bottom + 16, "text-anchor": "middle" }, label));
    }
  });
  const legend = series.length > 1
    ? h("div", { class: "legend" }, series.map((one, n) => {
        // Through the CSSOM: the policy allows no inline style attributes.
        const swatch = h("span", { class: "swatch" });
        swatch.style.background = one.color || PALETTE[n % PALETTE.length];
        return h("span", {}, swatch, one.name);
      }))
    : null;
  return h("figure", { class: "chart", "data-chart": title }, svg, legend);
}
