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
} as const;

export const VIEW_IDS = {
  rejectReason: "slipway_reject_reason",
} as const;
