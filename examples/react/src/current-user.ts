/** What the backend rendered into the page (see index.html). */
export type CurrentUser = {
  writeKey: string;
  host: string;
  id: string;
  userHash: string;
  traits: Record<string, unknown>;
  name: string;
  accountId: string | null;
  accountName: string;
};

export const readCurrentUser = (): CurrentUser => JSON.parse(document.getElementById('current-user')!.textContent!) as CurrentUser;
