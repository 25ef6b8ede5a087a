import type { Queue } from "bullmq";
import { type Deployment, holdsEnvironment } from "../domain/deployment.js";
import { recordOf } from "../domain/deployment-record.js";
import { isFinal } from "../domain/deployment-state.js";
import { isFirstLeg } from "../domain/hotfix-path.js";
import { DEFAULT_REMIND_AFTER_MS } from "../domain/review.js";
import { enqueue, JOB_IDS } from "./jobs.js";

/** A change told of later (Notifications.changedLater): dropped once a newer one is told of, or flushed. */
export interface DeferredChange {
  drop(): Promise<void>;
  flush(): Promise<void>;
}

/** Short pause before a sync, so a burst of changes becomes one round of Slack calls. */
export const SYNC_COALESCE_MS = 150;

/**
 * Tells the notifier that a deployment changed. It only enqueues: Slack is
 * reached by the notify workers, so a slow or failing Slack never holds up a
 * deployment. Syncs are coalesced: at most one waits per deployment, and a
 * change made while it waits adds nothing (the sync renders the store as it
 * is when it runs) but brings it forward when it was put off (a retry's
 * backoff, Slack's Retry-After), so a newer state does not wait out an older
 * one's failures. A change made while a sync runs queues one more to run
 * after it, so the newest state always reaches Slack.
 *
 * Given the pipeline queue, once a deployment has ended (and the restore
 * of its backup asked after its end is done) it also queues the start of
 * whatever waits behind it, and the one reminder of a
 * post-deployment review when it asks for one (a delayed job): the same job
 * ids however often the ended deployment changes. Likewise, once the first
 * deployment of a hotfix path has ended, the hand-off of the one waiting for
 * it (engine/hotfix-path.ts).
 */
export class Notifications {
  constructor(
    private readonly queue: Queue,
    private readonly pipeline?: Queue,
  ) {}

  async changed(deployment: Deployment): Promise<void> {
    await this.tell(deployment, SYNC_COALESCE_MS);
  }

  /** `changed`, with the sync held `syncDelay` ms. */
  private async tell(deployment: Deployment, syncDelay: number): Promise<void> {
    await this.sync(deployment, syncDelay);
    await Promise.all([
      this.remindLater(deployment),
      this.handOffLater(deployment),
      this.startWaitingAfter(deployment),
    ]);
  }

  private async handOffLater(d: Deployment): Promise<void> {
    if (!this.pipeline || !d.hotfixPath || !isFirstLeg(d) || !isFinal(d.state)) return;
    const waiting = d.hotfixPath.last.id;
    await enqueue({ pipeline: this.pipeline }, "handOff", { deploymentId: waiting }, { id: JOB_IDS.handOff(waiting) });
  }

  /**
   * Once a deployment has let go of its service and environment (it ended,
   * or the restore of its backup after its end is done), what waits behind
   * it there may start.
   */
  private async startWaitingAfter(d: Deployment): Promise<void> {
    if (!this.pipeline || holdsEnvironment(d)) return;
    const after = d.restore?.afterEnd ? `after.${d.id}.restore` : `after.${d.id}`;
    await enqueue(
      { pipeline: this.pipeline },
      "startWaiting",
      { service: d.service, environment: d.environment },
      { id: JOB_IDS.startWaiting(d.service, d.environment, after) },
    );
  }

  private async remindLater(d: Deployment): Promise<void> {
    if (!this.pipeline || !isFinal(d.state) || d.review || d.reviewRemindedAt !== undefined) return;
    if (!recordOf(d).reviewWanted) return;
    const remindAt = (d.finishedAt ?? d.updatedAt) + (d.reviewPolicy?.remindAfterMs ?? DEFAULT_REMIND_AFTER_MS);
    await enqueue(
      { pipeline: this.pipeline },
      "remindReview",
      { deploymentId: d.id },
      // Measured from the save that ended it, not from a clock here.
      { id: JOB_IDS.remindReview(d.id), delay: remindAt - d.updatedAt },
    );
  }

  /**
   * Tells of a change the way `changed` does once `afterMs` have passed,
   * unless dropped before then because a newer change was written and is
   * told of (its sync shows this one too). Told of, its sync runs when
   * `changed` at the time of the change would have run it: the pause it
   * waited counts against the sync's own. `flush()` tells of it at once if
   * it was neither told nor dropped: on the way out after a failure, so no
   * written change goes untold.
   */
  changedLater(deployment: Deployment, afterMs: number): DeferredChange {
    let sent: Promise<void> | undefined;
    let settled = false;
    const send = () => {
      sent = this.tell(deployment, Math.max(0, SYNC_COALESCE_MS - afterMs));
      // Awaited by drop() or flush(); a failure before then is not an unhandled one.
      sent.catch(() => undefined);
    };
    const timer = setTimeout(send, afterMs);
    const settle = async (tell: boolean) => {
      clearTimeout(timer);
      if (tell && !settled && sent === undefined) send();
      settled = true;
      await sent;
    };
    return { drop: () => settle(false), flush: () => settle(true) };
  }

  /**
   * Asks for a sync of a deployment whose Slack messages show an older
   * revision than its record (a sync that failed for good, a lost job): at
   * once, unless one already waits.
   */
  async resync(deployment: Deployment): Promise<void> {
    await this.sync(deployment, 0);
  }

  private async sync(d: Deployment, delay: number): Promise<void> {
    await enqueue(
      { notify: this.queue },
      "sync",
      { deploymentId: d.id },
      { onePending: JOB_IDS.sync(d.id), delay, attempts: 10 },
    );
  }
}
