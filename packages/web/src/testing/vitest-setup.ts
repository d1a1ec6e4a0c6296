// Unmount what each test rendered (Testing Library only does this on its own when test globals are on).
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

afterEach(() => cleanup());
