/** A channel's labels (e.g. "confidential") as small badges; nothing when it has none. */
import "./channel-labels.css";

export function ChannelLabels(props: { labels: readonly string[] | undefined }) {
  if (!props.labels?.length) return null;
  return (
    <span className="channel-labels" aria-label={`Labels: ${props.labels.join(", ")}`}>
      {props.labels.map((l) => (
        <span key={l} className="badge label" aria-hidden="true">
          {l}
        </span>
      ))}
    </span>
  );
}
