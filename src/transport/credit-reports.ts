/**
 * The receiving end's credit reports on one connection: {@link ReceiveCredit} decides when a report
 * is due (batched); what it leaves owed is reported after a short delay, so a sender waiting on it
 * never waits longer than that.
 */
import { ReceiveCredit, type CreditGrant } from './credit.js';
import type { CreditWindow } from './transport.js';

/** Consumption not covered by a batched report is reported after this delay. */
export const CREDIT_DELAY_MS = 5;

/** Receive-side credit accounting plus the delayed report. */
export class CreditReports {
  /** The accounting (arrivals are checked against the window here). */
  readonly credit: ReceiveCredit;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    window: CreditWindow,
    private readonly send: (grant: CreditGrant) => void,
  ) {
    this.credit = new ReceiveCredit(window);
  }

  /** The application consumed a queued frame of `bytes`. */
  consumed(bytes: number): void {
    const grant = this.credit.onConsume(bytes);
    if (grant) this.send(grant);
    else if (this.credit.owed && !this.timer) {
      // one timer per connection, left running after a batched report (cheaper than re-arming per frame)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const owed = this.credit.flush();
        if (owed) this.send(owed);
      }, CREDIT_DELAY_MS);
      this.timer.unref();
    }
  }

  /** A credited frame was rejected without being queued; its credit returns all the same. */
  discarded(bytes: number): void {
    const grant = this.credit.onDiscard(bytes);
    if (grant) this.send(grant);
  }

  /** No more reports (the connection closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
