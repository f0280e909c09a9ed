// usage: node parse.mjs FILE...  — prints "file:line:column: syntax error near …" and exits 1 on any.
import { readFileSync } from "node:fs";
import Parser from "tree-sitter";
import PowerShell from "tree-sitter-powershell";

const parser = new Parser();
parser.setLanguage(PowerShell);
let failed = false;

function* problems(node) {
  if (node.isError || node.isMissing) {
    yield node;
    return;
  }
  for (const child of node.children) {
    if (child.hasError || child.isMissing) yield* problems(child);
  }
}

for (const file of process.argv.slice(2)) {
  const tree = parser.parse(readFileSync(file, "utf8"), undefined, { bufferSize: 1 << 20 });
  for (const node of problems(tree.rootNode)) {
    const { row, column } = node.startPosition;
    const what = node.isMissing ? `missing ${node.type}` : `syntax error near ${JSON.stringify(node.text.slice(0, 40))}`;
    console.log(`${file}:${row + 1}:${column + 1}: ${what}`);
    failed = true;
  }
  if (!tree.rootNode.hasError) console.log(`${file}: ok`);
}
process.exit(failed ? 1 : 0);
