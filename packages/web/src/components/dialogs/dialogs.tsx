/** Which dialog is open, and the dialogs themselves. */
import { CreateChannelDialog } from "./create-channel.tsx";
import { BrowseChannelsDialog } from "./browse-channels.tsx";
import { PeoplePicker } from "./people-picker.tsx";
import { ChannelSwitcher } from "./channel-switcher.tsx";
import { useChat } from "../../client/use-chat.ts";
import { navigate } from "../../router.ts";
import { historyForNewMembers } from "../../security/history-policy.tsx";

export type DialogName = "create" | "browse" | "dm" | "switcher" | "members" | undefined;

export function Dialogs(props: { open: DialogName; channelId: string | undefined; onClose: () => void }) {
  const chat = useChat();
  const { onClose, channelId } = props;
  switch (props.open) {
    case "create":
      return <CreateChannelDialog onClose={onClose} />;
    case "browse":
      return <BrowseChannelsDialog onClose={onClose} />;
    case "switcher":
      return <ChannelSwitcher onClose={onClose} />;
    case "dm":
      return (
        <PeoplePicker
          title="New direct message"
          action="Start conversation"
          onClose={onClose}
          onPick={async (ids) => {
            const c = await chat.openDm(ids);
            onClose();
            navigate(`/c/${c.id}`);
          }}
        />
      );
    case "members":
      return channelId ? (
        <PeoplePicker
          title="Add people to this channel"
          action="Add"
          note={(() => {
            const h = chat.channel(channelId)?.history;
            return h ? historyForNewMembers(h) : undefined;
          })()}
          onClose={onClose}
          onPick={async (ids) => {
            await chat.addMembers(channelId, ids);
            await chat.refreshChannels();
            onClose();
          }}
        />
      ) : null;
    default:
      return null;
  }
}
