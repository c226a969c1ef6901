// Reference pool3 features from the ORIGINAL nsfwjs InceptionV3 tfjs layers model (pure-JS CPU backend).
//
//   node extract_nsfwjs_model.mjs --modules /work/inception-work/node_modules --out /work/inception-work/tfjs_model
//   node tfjs_features.mjs --modules /work/inception-work/node_modules --model /work/inception-work/tfjs_model
//
// 1. makes 4 deterministic 299x299 RGB test images (2 smooth synthetic patterns, 2 Fashion-MNIST test
//    images upscaled 28->299 with half-pixel bilinear and rounded to uint8) and writes them as PNG to
//    fixtures/; the 2 raw 28x28 Fashion-MNIST images are written too (for the in-detector resize check);
// 2. loads model.json + weight shards from the file system through a small IOHandler
//    (tfjs dequantises the uint8 weights itself: value = min + scale*q);
// 3. builds a sub-model ending at flatten_1 (= average_pooling2d_10, an 8x8/8 'valid' average pool over
//    mixed10's 8x8x2048 map, i.e. the global average pool, flattened: 2048 features);
// 4. feeds each image as float32 [1,299,299,3] = uint8/255 (exactly what nsfwjs's infer() feeds the model),
//    and each raw 28x28 image as uint8/255 resized in-graph with tf.image.resizeBilinear(alignCorners=false,
//    halfPixelCenters=true) (the convention of torch's interpolate(bilinear, align_corners=False));
// 5. writes fixtures/tfjs-features.json: per image the first 16 values, the L2 norm, and the full vector as
//    base64 of little-endian float32 ("features_f32le_b64").
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import crypto from "node:crypto";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const modulesDir = path.resolve(arg("--modules", "/work/inception-work/node_modules"));
const modelDir = path.resolve(arg("--model", "/work/inception-work/tfjs_model"));
const fixtures = path.resolve(arg("--fixtures", path.join(here, "fixtures")));
const fmnistGz = arg("--fmnist", "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
const FMNIST_INDICES = [0, 1];
const S = 299;

const require = createRequire(path.join(path.dirname(modulesDir), "package.json"));
const tf = require("@tensorflow/tfjs");

// ---------------------------------------------------------------- minimal PNG writer (8-bit, RGB or gray)
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function writePng(file, pixels, w, h, channels) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = channels === 3 ? 2 : 0;
  const stride = w * channels;
  const raw = Buffer.alloc((stride + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (stride + 1)] = 1; // filter "Sub": smooth images compress well
    for (let x = 0; x < stride; x++) {
      const cur = pixels[y * stride + x];
      const left = x >= channels ? pixels[y * stride + x - channels] : 0;
      raw[y * (stride + 1) + 1 + x] = (cur - left) & 0xff;
    }
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const png = Buffer.concat([sig, chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0))]);
  fs.writeFileSync(file, png);
}

// ---------------------------------------------------------------- deterministic test images (HWC uint8)
const u8 = (v) => Math.min(255, Math.max(0, Math.round(v)));
function synthA() { // smooth colour gradients + low-frequency sinusoids
  const p = new Uint8Array(S * S * 3);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const u = x / (S - 1), v = y / (S - 1), o = (y * S + x) * 3;
    p[o] = u8(255 * (0.5 + 0.35 * Math.sin(2 * Math.PI * (1.5 * u + 0.5 * v)) + 0.15 * (u - 0.5)));
    p[o + 1] = u8(255 * (0.2 + 0.7 * v * (1 - 0.5 * u)));
    p[o + 2] = u8(255 * (0.5 + 0.45 * Math.cos(2 * Math.PI * (u * v * 2 + 0.25))));
  }
  return p;
}
function synthB() { // concentric rings and a soft disc (stronger edges, coloured)
  const p = new Uint8Array(S * S * 3);
  const cx = 0.42 * S, cy = 0.58 * S;
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
    const r = Math.hypot(x - cx, y - cy) / S, a = Math.atan2(y - cy, x - cx), o = (y * S + x) * 3;
    const disc = 1 / (1 + Math.exp((r - 0.22) * 60));
    p[o] = u8(255 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 6 * r)) * (1 - 0.6 * disc) + 200 * disc);
    p[o + 1] = u8(255 * (0.5 + 0.5 * Math.cos(3 * a + 8 * r)) * 0.8);
    p[o + 2] = u8(60 + 150 * (x / S) * (1 - disc) + 40 * disc);
  }
  return p;
}
function readFmnist(indices) {
  const buf = zlib.gunzipSync(fs.readFileSync(fmnistGz));
  if (buf.readUInt32BE(0) !== 2051) throw new Error("not an IDX image file: " + fmnistGz);
  const n = buf.readUInt32BE(4), h = buf.readUInt32BE(8), w = buf.readUInt32BE(12);
  return indices.map((i) => {
    if (i >= n) throw new Error("index out of range");
    return { img: new Uint8Array(buf.subarray(16 + i * h * w, 16 + (i + 1) * h * w)), h, w };
  });
}
// half-pixel-centre bilinear (= torch align_corners=False, TF halfPixelCenters), gray -> RGB, rounded
function upscaleGray(img, h, w) {
  const p = new Uint8Array(S * S * 3);
  const sy = h / S, sx = w / S;
  for (let y = 0; y < S; y++) {
    const fy = Math.max((y + 0.5) * sy - 0.5, 0), y0 = Math.floor(fy), y1 = Math.min(y0 + 1, h - 1), ly = fy - y0;
    for (let x = 0; x < S; x++) {
      const fx = Math.max((x + 0.5) * sx - 0.5, 0), x0 = Math.floor(fx), x1 = Math.min(x0 + 1, w - 1), lx = fx - x0;
      const v = (1 - ly) * ((1 - lx) * img[y0 * w + x0] + lx * img[y0 * w + x1])
        + ly * ((1 - lx) * img[y1 * w + x0] + lx * img[y1 * w + x1]);
      const o = (y * S + x) * 3;
      p[o] = p[o + 1] = p[o + 2] = u8(v);
    }
  }
  return p;
}

// ---------------------------------------------------------------- model loading from the file system
function fileHandler(dir) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
      const weightSpecs = [];
      const parts = [];
      for (const group of json.weightsManifest) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) parts.push(fs.readFileSync(path.join(dir, p)));
      }
      const all = Buffer.concat(parts);
      const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
      return { modelTopology: json.modelTopology, weightSpecs, weightData, format: json.format,
        generatedBy: json.generatedBy, convertedBy: json.convertedBy };
    },
  };
}

function sha256File(f) {
  return crypto.createHash("sha256").update(fs.readFileSync(f)).digest("hex");
}

async function main() {
  await tf.setBackend("cpu");
  await tf.ready();
  fs.mkdirSync(fixtures, { recursive: true });

  const images = [
    { name: "synthetic-gradients", pixels: synthA(), h: S, w: S },
    { name: "synthetic-rings", pixels: synthB(), h: S, w: S },
  ];
  const fm = readFmnist(FMNIST_INDICES);
  fm.forEach((f, k) => images.push({ name: `fmnist-t10k-${FMNIST_INDICES[k]}-299`, pixels: upscaleGray(f.img, f.h, f.w), h: S, w: S }));
  const raw = fm.map((f, k) => {
    const rgb = new Uint8Array(f.h * f.w * 3);
    for (let i = 0; i < f.h * f.w; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = f.img[i];
    return { name: `fmnist-t10k-${FMNIST_INDICES[k]}-28`, pixels: rgb, h: f.h, w: f.w, resize: true };
  });
  for (const im of [...images, ...raw]) {
    im.file = `${im.name}.png`;
    writePng(path.join(fixtures, im.file), im.pixels, im.w, im.h, 3);
  }

  const t0 = Date.now();
  const model = await tf.loadLayersModel(fileHandler(modelDir));
  const featLayer = model.getLayer("flatten_1");
  const poolLayer = model.getLayer("average_pooling2d_10");
  const sub = tf.model({ inputs: model.inputs, outputs: featLayer.output });
  console.log(`loaded in ${Date.now() - t0} ms; pool layer ${poolLayer.name} ${JSON.stringify(poolLayer.outputShape)}, ` +
    `features ${featLayer.name} ${JSON.stringify(featLayer.outputShape)}`);

  const out = [];
  for (const im of [...images, ...raw]) {
    const t1 = Date.now();
    const feats = tf.tidy(() => {
      let x = tf.tensor3d(im.pixels, [im.h, im.w, 3], "int32").toFloat().div(tf.scalar(255));
      if (im.h !== S || im.w !== S) x = tf.image.resizeBilinear(x, [S, S], false, true);
      return sub.predict(x.reshape([1, S, S, 3]));
    });
    const v = new Float32Array(await feats.data());
    feats.dispose();
    let ss = 0;
    for (const a of v) ss += a * a;
    const entry = {
      name: im.name, file: im.file, height: im.h, width: im.w,
      input: im.resize ? "uint8/255, resizeBilinear(299, alignCorners=false, halfPixelCenters=true)" : "uint8/255",
      dim: v.length, l2: Math.sqrt(ss),
      first16: Array.from(v.subarray(0, 16)),
      features_f32le_b64: Buffer.from(v.buffer).toString("base64"),
    };
    out.push(entry);
    console.log(`${im.name}: ${Date.now() - t1} ms, l2=${entry.l2.toFixed(6)}, first4=${entry.first16.slice(0, 4).map((a) => a.toFixed(6))}`);
  }

  const result = {
    description: "pool3 features (flatten_1 = average_pooling2d_10 over mixed10, 2048-d) of the nsfwjs@4.4.0 " +
      "InceptionV3 tfjs layers model, @tensorflow/tfjs " + tf.version.tfjs + " cpu backend; model input is " +
      "float [1,299,299,3] NHWC = uint8/255 (no [-1,1] scaling)",
    model_json_sha256: sha256File(path.join(modelDir, "model.json")),
    feature_layer: featLayer.name,
    encoding: "features_f32le_b64 = base64 of the 2048 float32 values, little-endian",
    images: out,
  };
  const file = path.join(fixtures, "tfjs-features.json");
  fs.writeFileSync(file, JSON.stringify(result, null, 1) + "\n");
  console.log(`wrote ${file}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
