import { describe, expect, test } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Markdown } from "./markdown.tsx";

const known = () => false;

describe("code blocks in messages", () => {
  test("a ```ts block is highlighted with highlight.js classes, names its language and copies its plain text", async () => {
    const u = userEvent.setup();
    const code = "const x: number = 1; // one\nreturn 'two';";
    const { container } = render(<Markdown text={"look:\n```ts\n" + code + "\n```"} isKnownUser={known} />);
    const block = container.querySelector(".code-block")!;
    expect(block.getAttribute("data-lang")).toBe("ts");
    expect(within(block as HTMLElement).getByText("ts")).toBeTruthy();
    expect(block.querySelector("code")!.textContent).toBe(code);
    expect(block.querySelector(".hljs-keyword")!.textContent).toBe("const");
    expect(block.querySelector(".hljs-comment")!.textContent).toBe("// one");
    expect(block.querySelector(".hljs-string")!.textContent).toBe("'two'");
    await u.click(screen.getByRole("button", { name: "Copy code" }));
    expect(await navigator.clipboard.readText()).toBe(code);
    await waitFor(() => expect(screen.getByRole("button", { name: "Copy code" }).textContent).toBe("Copied"));
  });

  test("<script> and <img onerror> inside code blocks stay text in every language and in plain blocks", () => {
    const evil = `<script>window.pwned = 1</script>\n<img src=x onerror="window.pwned = 2">`;
    for (const tag of ["ts", "bash", "json", "yaml", "diff", "", "nosuchlang"]) {
      const { container, unmount } = render(<Markdown text={"```" + tag + "\n" + evil + "\n```"} isKnownUser={known} />);
      expect(container.querySelector("script"), tag).toBeNull();
      expect(container.querySelector("img"), tag).toBeNull();
      expect(container.querySelector("[onerror]"), tag).toBeNull();
      expect(container.querySelector("code")!.textContent, tag).toBe(evil);
      // Only highlight.js's spans are elements inside the code.
      for (const el of container.querySelectorAll("code *")) {
        expect(el.tagName, tag).toBe("SPAN");
        expect(el.className, tag).toMatch(/^hljs-/);
      }
      unmount();
    }
    expect((window as { pwned?: number }).pwned).toBeUndefined();
  });

  test("a block without a tag is plain text, labelled as such", () => {
    const { container } = render(<Markdown text={"```\nSELECT 1\n```"} isKnownUser={known} />);
    expect(container.querySelector(".code-block")!.getAttribute("data-lang")).toBe("plain");
    expect(container.querySelector("code")!.children.length).toBe(0);
    expect(container.querySelector("code")!.textContent).toBe("SELECT 1");
  });
});
