// The video of a group call's recording (docs/calls.md, "Recording"): one 1280×720 picture drawn
// 15 times a second from what this device decodes — a shared screen large with the cameras in a
// strip below it, else every camera (this device's too) in a grid, each with its person's name.
// Drawn on a canvas from hidden, muted video elements (a canvas draws elements, not streams);
// who is in the picture follows the call as people join and leave. A timer, not
// requestAnimationFrame: the recording goes on while the tab is in the background.

/** One person's picture in the composite. */
export interface CompositeSource {
  key: string;
  name: string;
  /** Their camera (undefined or without a live track: a placeholder with the name). */
  stream: MediaStream | undefined;
}

/** What the composite shows now. */
export interface CompositeScene {
  /** A shared screen, shown large. */
  screen: { name: string; stream: MediaStream } | undefined;
  cameras: CompositeSource[];
}

export const COMPOSITE_WIDTH = 1280;
export const COMPOSITE_HEIGHT = 720;
const FPS = 15;
const STRIP = 160;

/** A rectangle of the picture. */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Where each camera goes: with a screen, the screen fills the top and the cameras share a strip
 * below it; else a grid of ⌈√n⌉ columns. Pure (tested).
 */
export function compositeLayout(cameras: number, screen: boolean): { screen: Box | undefined; cameras: Box[] } {
  if (screen) {
    const n = Math.max(cameras, 1);
    const w = Math.min(COMPOSITE_WIDTH / n, (STRIP * 16) / 9);
    const x0 = (COMPOSITE_WIDTH - w * cameras) / 2;
    return {
      screen: { x: 0, y: 0, w: COMPOSITE_WIDTH, h: COMPOSITE_HEIGHT - STRIP },
      cameras: Array.from({ length: cameras }, (_, i) => ({ x: x0 + i * w, y: COMPOSITE_HEIGHT - STRIP, w, h: STRIP })),
    };
  }
  const cols = Math.max(1, Math.ceil(Math.sqrt(cameras)));
  const rows = Math.max(1, Math.ceil(cameras / cols));
  const w = COMPOSITE_WIDTH / cols;
  const h = COMPOSITE_HEIGHT / rows;
  return { screen: undefined, cameras: Array.from({ length: cameras }, (_, i) => ({ x: (i % cols) * w, y: Math.floor(i / cols) * h, w, h })) };
}

/** The largest rectangle of the video's aspect inside `box`, centred. */
function fit(box: Box, vw: number, vh: number): Box {
  if (!vw || !vh) return box;
  const scale = Math.min(box.w / vw, box.h / vh);
  const w = vw * scale;
  const h = vh * scale;
  return { x: box.x + (box.w - w) / 2, y: box.y + (box.h - h) / 2, w, h };
}

/** A canvas drawing the scene `scene()` returns, and its video track. */
export class Composite {
  readonly track: MediaStreamTrack;
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #videos = new Map<MediaStream, HTMLVideoElement>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(scene: () => CompositeScene) {
    this.#canvas = document.createElement("canvas");
    this.#canvas.width = COMPOSITE_WIDTH;
    this.#canvas.height = COMPOSITE_HEIGHT;
    this.#ctx = this.#canvas.getContext("2d")!;
    this.track = this.#canvas.captureStream(FPS).getVideoTracks()[0]!;
    this.#draw(scene());
    this.#timer = setInterval(() => this.#draw(scene()), 1000 / FPS);
  }

  #video(stream: MediaStream): HTMLVideoElement {
    let v = this.#videos.get(stream);
    if (!v) {
      v = document.createElement("video");
      v.muted = true;
      v.playsInline = true;
      v.srcObject = stream;
      void v.play().catch(() => undefined);
      this.#videos.set(stream, v);
    }
    return v;
  }

  #draw(scene: CompositeScene): void {
    const ctx = this.#ctx;
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, COMPOSITE_WIDTH, COMPOSITE_HEIGHT);
    const boxes = compositeLayout(scene.cameras.length, !!scene.screen);
    const used = new Set<MediaStream>();
    const paint = (box: Box, name: string, stream: MediaStream | undefined) => {
      const live = stream?.getVideoTracks().some((t) => t.readyState === "live" && !t.muted);
      if (stream && live) {
        used.add(stream);
        const v = this.#video(stream);
        if (v.readyState >= 2) {
          const r = fit(box, v.videoWidth, v.videoHeight);
          ctx.drawImage(v, r.x, r.y, r.w, r.h);
        }
      }
      ctx.fillStyle = "rgba(0,0,0,0.55)";
      const label = Math.max(14, Math.min(24, box.h / 10));
      ctx.font = `${label}px sans-serif`;
      const tw = ctx.measureText(name).width;
      ctx.fillRect(box.x + 6, box.y + box.h - label - 12, tw + 12, label + 8);
      ctx.fillStyle = "#fff";
      ctx.fillText(name, box.x + 12, box.y + box.h - 12);
    };
    if (scene.screen && boxes.screen) paint(boxes.screen, `${scene.screen.name} (screen)`, scene.screen.stream);
    scene.cameras.forEach((c, i) => paint(boxes.cameras[i]!, c.name, c.stream));
    // Elements of streams no longer shown go (someone left, a screen share ended).
    for (const [stream, v] of this.#videos) {
      if (used.has(stream)) continue;
      v.srcObject = null;
      this.#videos.delete(stream);
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.track.stop();
    for (const v of this.#videos.values()) v.srcObject = null;
    this.#videos.clear();
  }
}
