/**
 * Profile routes (issue 13): the org's people directory. Status, title and time zone are
 * set through `updateMe` (PATCH /me).
 */
import { z } from "zod";
import { route } from "./route.ts";
import { User, Username } from "./models.ts";

/** Most users one directory page holds. */
export const DIRECTORY_PAGE_MAX = 100;

/** One page of the directory and where the next one starts. */
export const DirectoryPage = z.object({
  users: z.array(User),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: Username.nullable(),
});
export type DirectoryPage = z.infer<typeof DirectoryPage>;

export const profileRoutes = {
  listDirectory: route({
    method: "GET",
    path: "/directory",
    tag: "users",
    auth: "user",
    summary:
      "The org's people, ordered by username: search by name, username or title (`q`, case-insensitive substring); page on with `cursor` = the last page's `nextCursor`. Deactivated users only when an admin asks (`includeDeactivated`).",
    query: z.object({
      q: z.string().trim().max(80).optional(),
      cursor: Username.optional(),
      limit: z.coerce.number().int().min(1).max(DIRECTORY_PAGE_MAX).default(50),
      includeDeactivated: z.enum(["true", "false"]).optional(),
    }),
    response: DirectoryPage,
    errors: ["forbidden"],
  }),
} as const;
