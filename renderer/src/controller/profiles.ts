/** Destination profiles (FTP, Azure, GCS, S3) and browsing a profile's files ("Add from cloud…"). */
import type { ProfileInput } from '../../../preload/contract';
import type { Ctx } from './context';

export function createProfiles({ app, api, call }: Ctx) {
  return {
    saveProfile: (p: ProfileInput) => api.invoke('destinations.save', p),
    testProfile: (p: ProfileInput | { id: string }) => api.invoke('destinations.test', p),
    removeProfile: (id: string) => api.invoke('destinations.remove', { id }),
    duplicateProfile: (id: string) => api.invoke('destinations.duplicate', { id }),
    exportProfiles: () => api.invoke('destinations.export'),
    importProfiles: (json: string) => api.invoke('destinations.import', { json }),
    reloadProfiles: async () => {
      const profiles = await call('destinations.list', undefined, { quiet: true });
      if (profiles) app.getState().received({ profiles });
    },
    browseCloud: (profileId: string, prefix: string, recursive = false) =>
      api.invoke('cloud.browse', { profileId, prefix, ...(recursive ? { recursive } : {}) }),
  };
}
