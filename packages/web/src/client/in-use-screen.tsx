/** Shown in a tab that does not run the client because another tab of this browser does. */
export function InUseScreen(props: { onTakeOver: () => void; busy: boolean }) {
  return (
    <main className="splash" aria-labelledby="in-use-title">
      <div className="in-use">
        <h1 id="in-use-title">Parley is open in another tab</h1>
        <p>This browser is one device: only one tab can run it at a time. Use it here and the other tab stops.</p>
        <button type="button" className="primary" onClick={props.onTakeOver} disabled={props.busy}>
          {props.busy ? "Taking over…" : "Use it here"}
        </button>
      </div>
    </main>
  );
}
