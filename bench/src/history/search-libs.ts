/**
 * Choosing the local search index for issue 9 by measurement: MiniSearch and FlexSearch on the same
 * chat-like corpus (N messages of 4-30 words drawn Zipf-like from a 5,000-word vocabulary, with
 * accents and a unique marker word in every 1,000th message), one process, one core, alternating
 * rounds. Per library: index build (messages/s), the serialized index (bytes, and ms to
 * write and to load it back: the device keeps it sealed at rest), query latency (one word, two words
 * AND, a prefix) and whether every marker is found. Prints a table; gates nothing.
 *
 *   node --expose-gc bench/src/history/search-libs.ts [--messages 20000] [--rounds 3]
 */
import MiniSearch from "minisearch";
import FlexSearch from "flexsearch";

const num = (flag: string, dflt: number) => {
  const i = process.argv.indexOf(flag);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = num("--messages", 20_000);
const ROUNDS = num("--rounds", 3);

// A deterministic corpus (xorshift), so both libraries and every round index the same text.
let seed = 0x9e3779b9;
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
};
const syllables = ["ka", "lo", "mi", "ra", "te", "su", "no", "vé", "pa", "dri", "zu", "on", "el", "ché", "bar", "qu", "is", "an"];
const vocabulary = Array.from({ length: 5000 }, () =>
  Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join(""),
);
const zipf = () => vocabulary[Math.min(vocabulary.length - 1, Math.floor(Math.exp(rand() * Math.log(vocabulary.length))) - 1)]!;
const messages = Array.from({ length: N }, (_, i) => {
  const words = Array.from({ length: 4 + Math.floor(rand() * 27) }, zipf);
  if (i % 1000 === 0) words.push(`marker${i}x`);
  return { id: i + 1, text: words.join(" ") };
});
const markers = messages.filter((m) => m.text.includes("marker")).map((m) => ({ id: m.id, word: /marker\d+x/.exec(m.text)![0] }));
const common = vocabulary.slice(10, 60);
const queries = {
  one: common.slice(0, 25),
  two: common.slice(0, 25).map((w, i) => `${w} ${common[i + 25]}`),
  prefix: common.slice(25, 50).map((w) => w.slice(0, 3)),
};

interface Engine {
  name: string;
  build(): unknown;
  search(index: unknown, q: string, mode: "one" | "two" | "prefix"): number[];
  save(index: unknown): Promise<string>;
  load(data: string): Promise<unknown>;
}

const fold = (s: string) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();

const mini: Engine = {
  name: "MiniSearch 7.2",
  build() {
    const ms = new MiniSearch<{ id: number; text: string }>({ fields: ["text"], processTerm: (t) => fold(t) });
    ms.addAll(messages);
    return ms;
  },
  search(index, q, mode) {
    const ms = index as MiniSearch;
    return ms.search(q, { combineWith: "AND", prefix: mode === "prefix" }).map((r) => r.id as number);
  },
  async save(index) {
    return JSON.stringify(index);
  },
  async load(data) {
    return MiniSearch.loadJSON(data, { fields: ["text"], processTerm: (t) => fold(t) });
  },
};

const flex: Engine = {
  name: "FlexSearch 0.8",
  build() {
    const index = new FlexSearch.Index({ tokenize: "forward", encoder: FlexSearch.Charset.LatinBalance });
    for (const m of messages) index.add(m.id, m.text);
    return index;
  },
  search(index, q) {
    // FlexSearch matches every word (AND) and, with forward tokenizing, prefixes.
    return (index as InstanceType<typeof FlexSearch.Index>).search(q, { limit: N }) as number[];
  },
  async save(index) {
    const parts: Record<string, string> = {};
    await (index as InstanceType<typeof FlexSearch.Index>).export((key: string | number, data: string) => {
      parts[String(key)] = data;
    });
    return JSON.stringify(parts);
  },
  async load(data) {
    const index = new FlexSearch.Index({ tokenize: "forward", encoder: FlexSearch.Charset.LatinBalance });
    for (const [key, part] of Object.entries(JSON.parse(data) as Record<string, string>)) await index.import(key, part);
    return index;
  },
};

const gc = () => (globalThis as { gc?: () => void }).gc?.();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Row = { build: number[]; bytes: number; save: number[]; load: number[]; q: Record<string, number[]>; markersFound: number };
const rows = new Map<string, Row>();
for (let round = 0; round < ROUNDS; round++) {
  for (const e of round % 2 ? [flex, mini] : [mini, flex]) {
    const row = rows.get(e.name) ?? { build: [], bytes: 0, save: [], load: [], q: { one: [], two: [], prefix: [] }, markersFound: 0 };
    rows.set(e.name, row);
    gc();
    let t = performance.now();
    const index = e.build();
    row.build.push(performance.now() - t);
    t = performance.now();
    const data = await e.save(index);
    row.save.push(performance.now() - t);
    row.bytes = Buffer.byteLength(data);
    t = performance.now();
    const loaded = await e.load(data);
    row.load.push(performance.now() - t);
    for (const mode of ["one", "two", "prefix"] as const) {
      for (const q of queries[mode]) {
        t = performance.now();
        e.search(loaded, q, mode);
        row.q[mode]!.push(performance.now() - t);
      }
    }
    row.markersFound = markers.filter((m) => e.search(loaded, m.word, "one").includes(m.id)).length;
    process.stderr.write(`round ${round + 1}: ${e.name} done\n`);
  }
}

console.log(`\n${N.toLocaleString("en")} messages, ${ROUNDS} rounds (medians), Node ${process.version}\n`);
console.log("| library | build ms (messages/s) | serialized MB | save / load ms | query ms p50 one / two / prefix | markers found |");
console.log("|---|---|---|---|---|---|");
for (const [name, r] of rows) {
  const b = median(r.build);
  console.log(
    `| ${name} | ${b.toFixed(0)} (${Math.round(N / (b / 1000)).toLocaleString("en")}) | ${(r.bytes / 1e6).toFixed(2)} | ${median(r.save).toFixed(0)} / ${median(r.load).toFixed(0)} | ${median(r.q.one!).toFixed(2)} / ${median(r.q.two!).toFixed(2)} / ${median(r.q.prefix!).toFixed(2)} | ${r.markersFound} of ${markers.length} |`,
  );
}
