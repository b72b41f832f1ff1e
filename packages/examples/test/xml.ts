// A tiny XML well-formedness checker for the SVG tests: balanced, properly nested tags, quoted
// attributes without duplicates, no raw '<' or unknown entities in text, exactly one root element.

const NAME = "[A-Za-z_:][-A-Za-z0-9_:.]*";
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/y;

function checkText(s: string, where: number): void {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "<") throw new Error(`raw "<" in text at ${where + i}`);
    if (s[i] === "&") {
      ENTITY.lastIndex = i;
      if (!ENTITY.test(s)) throw new Error(`bad entity at ${where + i}: ${s.slice(i, i + 10)}`);
    }
  }
}

/** Throws an Error describing the first problem; returns the root element's name. */
export function checkWellFormedXml(xml: string): string {
  let i = 0;
  const stack: string[] = [];
  let root: string | undefined;
  let closedRoot = false;
  const attrRe = new RegExp(`\\s+(${NAME})\\s*=\\s*("[^"<]*"|'[^'<]*')`, "y");
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    checkText(text, i);
    if ((stack.length === 0) && text.trim() !== "") throw new Error(`text outside the root element at ${i}`);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith("<?", i)) {
      const end = xml.indexOf("?>", i);
      if (end < 0 || root !== undefined) throw new Error(`bad processing instruction at ${i}`);
      i = end + 2;
      continue;
    }
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i);
      if (end < 0) throw new Error(`unterminated comment at ${i}`);
      i = end + 3;
      continue;
    }
    const close = new RegExp(`</(${NAME})\\s*>`, "y");
    close.lastIndex = i;
    const c = close.exec(xml);
    if (c) {
      const top = stack.pop();
      if (top !== c[1]) throw new Error(`</${c[1]}> at ${i} closes <${top ?? "nothing"}>`);
      if (stack.length === 0) closedRoot = true;
      i = close.lastIndex;
      continue;
    }
    const open = new RegExp(`<(${NAME})`, "y");
    open.lastIndex = i;
    const o = open.exec(xml);
    if (!o) throw new Error(`bad tag at ${i}: ${xml.slice(i, i + 20)}`);
    if (closedRoot) throw new Error(`second root element <${o[1]}> at ${i}`);
    let j = open.lastIndex;
    const seen = new Set<string>();
    for (;;) {
      attrRe.lastIndex = j;
      const a = attrRe.exec(xml);
      if (!a) break;
      if (seen.has(a[1]!)) throw new Error(`duplicate attribute ${a[1]} in <${o[1]}> at ${i}`);
      seen.add(a[1]!);
      checkText(a[2]!.slice(1, -1), j);
      j = attrRe.lastIndex;
    }
    const rest = /\s*(\/?)>/y;
    rest.lastIndex = j;
    const r = rest.exec(xml);
    if (!r) throw new Error(`malformed <${o[1]}> at ${i}: ${xml.slice(j, j + 20)}`);
    if (root === undefined) root = o[1];
    if (r[1] !== "/") stack.push(o[1]!);
    else if (stack.length === 0) closedRoot = true;
    i = rest.lastIndex;
  }
  if (stack.length) throw new Error(`unclosed <${stack.join("> <")}>`);
  if (!root) throw new Error("no root element");
  return root;
}
