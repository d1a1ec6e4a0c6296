/**
 * The signed-in app: sidebar, the main view for the route (channel, admin
 * console, devices, profile, search) and the thread panel. Owns the keyboard shortcuts:
 * Ctrl/Cmd+K opens the channel switcher, Ctrl/Cmd+Shift+F searches every
 * channel, Esc closes the top-most panel.
 */
import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { tellChannelNames } from "../notifications/push-device.ts";
import type { ChatStore } from "../client/chat-store.ts";
import { ChatContext } from "../client/use-chat.ts";
import { navigate, searchPath, SIGNED_OUT_ROUTES, useRoute } from "../router.ts";
import { SearchPage } from "../search/search-page.tsx";
import { InboxPage } from "../inbox/inbox-page.tsx";
import { SavedPage } from "../personal/saved-page.tsx";
import { Sidebar } from "./sidebar.tsx";
import { ChannelView } from "./channel/channel-view.tsx";
import { ThreadPanel } from "./channel/thread-panel.tsx";
import { AdminConsole } from "./admin/admin-console.tsx";
import { DevicesPage } from "./devices-page.tsx";
import { ProfilePage } from "../account/profile-page.tsx";
import { PeoplePage } from "../people/people-page.tsx";
import { Dialogs, type DialogName } from "./dialogs/dialogs.tsx";
import { DrawerBackdrop, PhoneBar, useDrawer } from "../pwa/drawer.tsx";
import { RecoveryBanner } from "../security/recovery-key.tsx";
import { ApprovalPrompt } from "../security/device-approval.tsx";
import { ForcedEnrolmentScreen } from "../mfa/forced-enrolment-screen.tsx";
import { Notifier } from "../notify/notifier.ts";
import { NotifyBanner } from "../notify/notify-banner.tsx";
import { ReminderBanner } from "../reminders/reminder-banner.tsx";
import { CallStore } from "../calls/call-store.ts";
import { CallContext } from "../calls/use-calls.ts";
import { CallLayer } from "../calls/call-layer.tsx";

/**
 * `onRestart`: start the client afresh (after the user set up two-factor authentication the server
 * had begun to require of this session).
 */
export function Shell(props: { chat: ChatStore; onSignOut: (reason?: string) => void; onRestart: () => Promise<void> }) {
  const { chat, onSignOut } = props;
  useSyncExternalStore(chat.subscribe, chat.getVersion);
  const route = useRoute();
  const [dialog, setDialog] = useState<DialogName>();
  const channelId = route.name === "channel" ? route.channelId : undefined;
  const thread = route.name === "channel" ? route.thread : undefined;
  const at = route.name === "channel" ? route.at : undefined;
  // Phone width: the sidebar is a drawer, closed again by any navigation.
  const drawer = useDrawer(`${route.name}:${channelId ?? ""}:${thread ?? ""}`);

  // Calls (calls/): rings, this device's call, ongoing calls for the headers.
  const calls = useMemo(() => new CallStore(chat), [chat]);
  useEffect(() => {
    calls.start();
    return () => calls.stop();
  }, [calls]);
  // Back online after a drop: the calls again (this device may have been dropped from its call
  // meanwhile). The first connection needs nothing: calls.start() read them.
  const live = chat.connection.state === "live";
  const wasLive = useRef(false);
  useEffect(() => {
    if (!live) return;
    if (wasLive.current) void calls.resync();
    wasLive.current = true;
  }, [calls, live]);

  useEffect(() => {
    if (chat.ended) onSignOut(`Your session has ended (${chat.ended}). Sign in again.`);
  }, [chat.ended, onSignOut]);

  useEffect(() => {
    void chat.openChannel(channelId).catch(() => undefined);
  }, [chat, channelId]);

  // Desktop notifications, the service worker's push lookups and the app badge (notify/notifier.ts).
  useEffect(() => {
    const notifier = new Notifier(chat);
    notifier.start();
    return () => notifier.stop();
  }, [chat]);

  // Home: go to the first channel, so a newcomer lands somewhere useful; not while a dialog is
  // open (a modal makes the page behind it inert: a channel opened there, by the first channel
  // created or joined from the dialog, would show but take no typing until the dialog closes).
  useEffect(() => {
    if (route.name === "home" && !dialog && chat.channels[0]) navigate(`/c/${chat.channels[0].id}`, true);
  }, [route.name, chat.channels, dialog]);

  // The service worker names the channel of a push no tab can open (pushes carry ids only).
  useEffect(() => tellChannelNames(chat.channels, (c) => chat.channelTitle(c)), [chat, chat.channels]);

  // A signed-out screen's path (sign-in, forgot password, an invite) while signed in: go home.
  useEffect(() => {
    if (SIGNED_OUT_ROUTES.has(route.name)) navigate("/", true);
  }, [route.name]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setDialog("switcher");
      } else if ((e.ctrlKey || e.metaKey) && e.shiftKey && e.key.toLowerCase() === "f") {
        e.preventDefault();
        navigate(searchPath(""));
      } else if (e.key === "Escape" && !e.defaultPrevented) {
        if (dialog) setDialog(undefined);
        else if (thread && channelId) navigate(`/c/${channelId}`);
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [dialog, thread, channelId]);

  // The server refuses this session until the user sets up two-factor authentication: nothing else until then.
  if (chat.enrolmentRequired)
    return <ForcedEnrolmentScreen api={chat.client.api} me={chat.me} org={chat.org} onEnrolled={props.onRestart} onSignOut={() => onSignOut()} />;

  return (
    <ChatContext.Provider value={chat}>
      <CallContext.Provider value={calls}>
        <div className={`shell${thread ? " with-thread" : ""}${drawer.open ? " drawer-open" : ""}`}>
          <Sidebar activeChannelId={channelId} route={route.name} onDialog={setDialog} onSignOut={() => onSignOut()} />
          <DrawerBackdrop open={drawer.open} onClose={() => drawer.setOpen(false)} />
          <main className="main" aria-label="Conversation">
            <PhoneBar open={drawer.open} onOpen={() => drawer.setOpen(true)} />
            <RecoveryBanner chat={chat} />
            <NotifyBanner />
            <ReminderBanner />
            <ApprovalPrompt chat={chat} />
            {route.name === "admin" ? (
              <AdminConsole />
            ) : route.name === "devices" ? (
              <DevicesPage />
            ) : route.name === "profile" ? (
              <ProfilePage onSignOut={onSignOut} />
            ) : route.name === "people" ? (
              <PeoplePage />
            ) : route.name === "search" ? (
              <SearchPage query={route.query} channelId={route.channelId} />
            ) : route.name === "inbox" ? (
              <InboxPage tab={route.tab} />
            ) : route.name === "saved" ? (
              <SavedPage />
            ) : channelId ? (
              <ChannelView key={channelId} channelId={channelId} at={thread ? undefined : at} onAddPeople={() => setDialog("members")} />
            ) : (
              <div className="empty">
                <h2>Welcome to {chat.org.name}</h2>
                <p>Create or browse channels from the sidebar.</p>
              </div>
            )}
          </main>
          {channelId && thread ? <ThreadPanel key={`${channelId}:${thread}`} channelId={channelId} rootSeq={thread} at={at} /> : null}
        </div>
        <Dialogs open={dialog} channelId={channelId} onClose={() => setDialog(undefined)} />
        <CallLayer channelId={route.name === "channel" ? channelId : undefined} />
      </CallContext.Provider>
    </ChatContext.Provider>
  );
}
