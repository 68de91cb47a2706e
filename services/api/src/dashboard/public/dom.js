/* global document */
/**
 * `el('td', { class: 'num' }, '42')` — a small element builder. Text goes in as text nodes, never
 * as HTML, so ids and labels from the API cannot inject markup.
 */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') node.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const { Node } = globalThis;

/** Replaces a node's content. */
export function render(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** A card with a label, a big value and an optional note; `data-metric`/`data-value` carry the raw figure. */
export const card = (label, shown, { metric, value, note } = {}) =>
  el('div', { class: 'card', dataset: metric ? { metric, value: value === null || value === undefined ? '' : String(value) } : undefined }, el('div', { class: 'label' }, label), el('div', { class: 'value' }, shown), note ? el('div', { class: 'note' }, note) : null);

export const errorBox = (error) => el('p', { class: 'error', role: 'alert' }, `Could not load: ${error.message}`);
