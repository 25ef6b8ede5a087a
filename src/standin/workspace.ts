/** Who the stand-in pretends to be: the workspace, the app and its bot user. */
export interface WorkspaceIdentity {
  /** @default "T0SLIPWAY1" */
  teamId: string;
  /** @default "slipway-demo" */
  teamDomain: string;
  /** @default "Slipway Demo" */
  teamName: string;
  /** @default "A0SLIPWAY1" */
  appId: string;
  /** @default "U0SLIPWAYB" */
  botUserId: string;
  /** @default "B0SLIPWAY1" */
  botId: string;
  /** @default "slipway" */
  botName: string;
}

export const DEFAULT_IDENTITY: WorkspaceIdentity = {
  teamId: "T0SLIPWAY1",
  teamDomain: "slipway-demo",
  teamName: "Slipway Demo",
  appId: "A0SLIPWAY1",
  botUserId: "U0SLIPWAYB",
  botId: "B0SLIPWAY1",
  botName: "slipway",
};

export interface ChannelInfo {
  id: string;
  name: string;
  isPrivate: boolean;
  isIm: boolean;
  /** The other member of a direct-message channel. */
  imUser: string | undefined;
  created: number;
}

const CHANNEL_ID = /^[CG][A-Z0-9]{4,}$/;
const DM_ID = /^D[A-Z0-9]{4,}$/;
const USER_ID = /^[UW][A-Z0-9]{4,}$/;

export function looksLikeUserId(value: string): boolean {
  return USER_ID.test(value);
}

/**
 * Channels, users and user groups of the pretend workspace. Channel IDs that
 * look like Slack's (C…, G…) exist on first use unless `autoCreateChannels` is
 * off; names ("#deploys") resolve only for channels that were added by name.
 */
export class Workspace {
  private readonly channels = new Map<string, ChannelInfo>();
  private readonly users = new Map<string, string>();
  private readonly usergroups = new Map<string, string[]>();

  constructor(
    readonly identity: WorkspaceIdentity,
    private readonly autoCreateChannels: boolean,
    private readonly now: () => number,
  ) {
    this.users.set(identity.botUserId, identity.botName);
  }

  addChannel(channel: { id: string; name?: string; isPrivate?: boolean }): ChannelInfo {
    const info: ChannelInfo = {
      id: channel.id,
      name: channel.name ?? channel.id.toLowerCase(),
      isPrivate: channel.isPrivate ?? channel.id.startsWith("G"),
      isIm: false,
      imUser: undefined,
      created: Math.floor(this.now() / 1000),
    };
    this.channels.set(info.id, info);
    return info;
  }

  addUser(id: string, name: string): void {
    this.users.set(id, name);
  }

  userName(id: string): string {
    return this.users.get(id) ?? id.toLowerCase();
  }

  setUsergroup(id: string, members: readonly string[]): void {
    this.usergroups.set(id, [...members]);
  }

  usergroupMembers(id: string): string[] | undefined {
    const members = this.usergroups.get(id);
    return members === undefined ? undefined : [...members];
  }

  /** Resolves an ID, a `#name`, a name, or a user ID (its DM) to a channel. */
  resolveChannel(ref: string | undefined): ChannelInfo | undefined {
    if (ref === undefined || ref.trim() === "") return undefined;
    const key = ref.trim();
    const known = this.channels.get(key);
    if (known) return known;
    const name = key.replace(/^#/, "");
    for (const channel of this.channels.values()) {
      if (channel.name === name && !channel.isIm) return channel;
    }
    if (looksLikeUserId(key)) return this.directMessage(key);
    if (this.autoCreateChannels && CHANNEL_ID.test(key)) return this.addChannel({ id: key });
    if (this.autoCreateChannels && DM_ID.test(key)) return this.addDm(key, undefined);
    return undefined;
  }

  /** Existing channels in the order they appeared. */
  list(): ChannelInfo[] {
    return [...this.channels.values()].map((channel) => ({ ...channel }));
  }

  private directMessage(userId: string): ChannelInfo {
    const id = `D${userId.slice(1)}`;
    return this.channels.get(id) ?? this.addDm(id, userId);
  }

  private addDm(id: string, userId: string | undefined): ChannelInfo {
    const info: ChannelInfo = {
      id,
      name: userId ?? id.toLowerCase(),
      isPrivate: true,
      isIm: true,
      imUser: userId,
      created: Math.floor(this.now() / 1000),
    };
    this.channels.set(id, info);
    return info;
  }
}
