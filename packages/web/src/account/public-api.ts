/**
 * The REST API without a session, for the signed-out account screens (forgot password,
 * reset link, email link). They run without the client worker: there is no device and
 * no token, and another tab may be running this browser's device meanwhile.
 */
import { createApi, type Api } from "@parley/sdk";

/** A typed client of the server that served the app, for `auth: "none"` routes. */
export function publicApi(): Pick<Api, "call"> {
  return createApi({ baseUrl: location.origin });
}
