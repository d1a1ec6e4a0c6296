/** One retention period in a form: a number of days, or "Keep forever" (the days field then rests). */
import type { PeriodInput } from "./retention-periods.ts";

export function PeriodField(props: { label: string; hint: string; value: PeriodInput; disabled: boolean; onChange: (v: PeriodInput) => void }) {
  const { value: v, disabled } = props;
  return (
    <fieldset className="period">
      <legend>{props.label}</legend>
      <div className="inline-fields">
        <label>
          Days
          <input
            type="number"
            min={1}
            max={36_500}
            className="narrow"
            value={v.days}
            disabled={disabled || v.forever}
            onChange={(e) => props.onChange({ ...v, days: e.target.value })}
          />
        </label>
        <label className="check-inline">
          <input type="checkbox" checked={v.forever} disabled={disabled} onChange={(e) => props.onChange({ ...v, forever: e.target.checked })} /> Keep forever
        </label>
      </div>
      <small className="muted">{props.hint}</small>
    </fieldset>
  );
}
