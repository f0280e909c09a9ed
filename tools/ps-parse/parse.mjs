// usage: node parse.mjs FILE...  — prints "file:line:column: syntax error near …" and exits 1 on any.
//        node parse.mjs --tree FILE — prints the syntax tree as JSON: {type, field, start, end, children},
//        start and end being offsets into the file's text (tests/static/powershell.py reads it).
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

function tree(node, field) {
  return {
    type: node.type, field, start: node.startIndex, end: node.endIndex,
    children: node.children.map((child, i) => tree(child, node.fieldNameForChild(i))),
  };
}

const trees = process.argv[2] === "--tree";
if (trees) {
  // Written, not followed by process.exit: a pipe would be cut at 64 KiB.
  const source = readFileSync(process.argv[3], "utf8");
  process.stdout.write(JSON.stringify(tree(parser.parse(source, undefined, { bufferSize: 1 << 20 }).rootNode, null)));
}

for (const file of trees ? [] : process.argv.slice(2)) {
  const tree = parser.parse(readFileSync(file, "utf8"), undefined, { bufferSize: 1 << 20 });
  for (const node of problems(tree.rootNode)) {
    const { row, column } = node.startPosition;
    const what = node.isMissing ? `missing ${node.type}` : `syntax error near ${JSON.stringify(node.text.slice(0, 40))}`;
    console.log(`${file}:${row + 1}:${column + 1}: ${what}`);
    failed = true;
  }
  if (!tree.rootNode.hasError) console.log(`${file}: ok`);
}
process.exitCode = failed ? 1 : 0;
