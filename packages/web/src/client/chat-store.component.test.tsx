import { describe, expect, test } from "vitest";
import type { MyChannel } from "@parley/protocol";
import { chatFixture, user } from "../testing/chat-fixture.tsx";

const me = user("u-me", "me", "Me Myself");

describe("ChatStore: the channel list", () => {
  test("an answer to an earlier request that arrives after a later one does not replace the list (a just-created channel stays)", async () => {
    const f = await chatFixture({ me, users: [] });
    const general = f.chat.channels[0]!;
    const dev: MyChannel = { ...general, id: "ch-dev", name: "dev" };
    const waiting: Array<(list: MyChannel[]) => void> = [];
    f.worker.answers.set("call:channels", () => new Promise<MyChannel[]>((resolve) => waiting.push(resolve)));
    // A refresh asked before the channel was created, then the creator's own refresh.
    const before = f.chat.refreshChannels();
    const after = f.chat.refreshChannels();
    await expect.poll(() => waiting.length).toBe(2);
    waiting[1]!([general, dev]);
    await after;
    expect(f.chat.channel("ch-dev")?.name).toBe("dev");
    waiting[0]!([general]);
    await before;
    expect(f.chat.channel("ch-dev")?.name).toBe("dev");
    // A later request's answer is shown as usual.
    const next = f.chat.refreshChannels();
    await expect.poll(() => waiting.length).toBe(3);
    waiting[2]!([general]);
    await next;
    expect(f.chat.channel("ch-dev")).toBeUndefined();
  });
});
