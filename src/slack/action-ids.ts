/** The action and view ids Slipway's messages carry; listeners register for exactly these. */
export const ACTION_IDS = {
  approve: "slipway_approve",
  reject: "slipway_reject",
  tick: "slipway_checklist_tick",
  pause: "slipway_pause",
  resume: "slipway_resume",
  promote: "slipway_promote",
  abort: "slipway_abort",
  acknowledge: "slipway_acknowledge",
  rollBack: "slipway_roll_back",
  openThread: "slipway_open_thread",
  writeReview: "slipway_write_review",
  historyMore: "slipway_history_more",
  /** Queue a request refused as busy, behind the deployment that holds the environment. */
  queueIt: "slipway_queue_it",
  /** Wait for the next deployment window with a request refused outside the windows. */
  scheduleWindow: "slipway_schedule_window",
  /** Take a queued or scheduled deployment out of its line. */
  cancelWaiting: "slipway_cancel_waiting",
} as const;

/** Each percentage of the root message's flag buttons has its own id (Slack wants them unique in a block). */
export const FLAG_ACTION = /^slipway_set_flag_(\d{1,3})$/;

export function flagActionId(percent: number): string {
  return `slipway_set_flag_${percent}`;
}

export const VIEW_IDS = {
  rejectReason: "slipway_reject_reason",
  deployForm: "slipway_deploy_form",
  reviewForm: "slipway_review_form",
  /** The dialog confirming `/rollback … --restore`. */
  restoreConfirm: "slipway_restore_confirm",
} as const;
