// Unpacks the InceptionV3 layers model that nsfwjs@4.4.0 ships as browserify bundles
// (dist/models/inception_v3/model.min.js + group1-shardNof6.min.js, weights as base64 strings)
// into the standard tfjs on-disk format: model.json + binary weight shards.
//
//   node extract_nsfwjs_model.mjs --modules /work/inception-work/node_modules --out /work/inception-work/tfjs_model
//
// Nothing is downloaded: the bundles are read from the installed npm package.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

const modulesDir = path.resolve(arg("--modules", "/work/inception-work/node_modules"));
const outDir = path.resolve(arg("--out", "/work/inception-work/tfjs_model"));
const require = createRequire(import.meta.url);

// nsfwjs's "exports" map hides package.json and dist/models, so address the files directly.
const nsfwjsDir = path.join(modulesDir, "nsfwjs");
const pkg = JSON.parse(fs.readFileSync(path.join(nsfwjsDir, "package.json"), "utf8"));
if (pkg.version !== "4.4.0") {
  console.warn(`warning: nsfwjs version is ${pkg.version}, this tool was checked against 4.4.0`);
}
const bundleDir = path.join(nsfwjsDir, "dist/models/inception_v3");

// The bundles are UMD modules: in CommonJS they set module.exports to the payload.
const modelJson = require(path.join(bundleDir, "model.min.js"));
if (!modelJson.modelTopology || !modelJson.weightsManifest) {
  throw new Error("model.min.js did not yield {modelTopology, weightsManifest}");
}
fs.mkdirSync(outDir, { recursive: true });

let total = 0;
for (const group of modelJson.weightsManifest) {
  for (const p of group.paths) {
    const b64 = require(path.join(bundleDir, `${p}.min.js`));
    if (typeof b64 !== "string") throw new Error(`${p}.min.js is not a base64 string`);
    const bytes = Buffer.from(b64, "base64");
    fs.writeFileSync(path.join(outDir, p), bytes);
    total += bytes.length;
    console.log(`${p}: ${bytes.length} bytes sha256=${crypto.createHash("sha256").update(bytes).digest("hex")}`);
  }
}
let expected = 0;
for (const group of modelJson.weightsManifest) {
  for (const w of group.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const dtype = w.quantization ? w.quantization.dtype : w.dtype;
    expected += n * ({ uint8: 1, uint16: 2, float16: 2, float32: 4, int32: 4 }[dtype]);
  }
}
if (expected !== total) throw new Error(`weight bytes ${total} != manifest ${expected}`);
const jsonText = JSON.stringify(modelJson);
fs.writeFileSync(path.join(outDir, "model.json"), jsonText);
console.log(`model.json: ${jsonText.length} chars; ${total} weight bytes -> ${outDir}`);
