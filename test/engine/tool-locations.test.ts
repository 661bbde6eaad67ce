/**
 * Converter discovery per platform, over a fake file system: Windows' PATHEXT and install folders,
 * a Finder-launched macOS app without Homebrew in PATH, Linux's versioned LibreOffice folders, and
 * the paths set in Settings.
 */
import { describe, expect, it } from 'vitest';
import { executableNames, findTool, wellKnownDirs, type LookupEnv } from '../../engine/convert/tool-locations';

function lookup(platform: NodeJS.Platform, env: Record<string, string>, files: string[], dirs: Record<string, string[]> = {}): LookupEnv {
  const set = new Set(files);
  return { platform, env, isExecutable: (f) => set.has(f), list: (d) => dirs[d] ?? [] };
}

describe('Windows', () => {
  const env = {
    PATH: 'C:\\Windows\\system32;C:\\tools',
    PATHEXT: '.COM;.EXE;.BAT;.CMD',
    ProgramFiles: 'C:\\Program Files',
    LOCALAPPDATA: 'C:\\Users\\me\\AppData\\Local',
    USERPROFILE: 'C:\\Users\\me',
  };
  it('tries every PATHEXT extension', () => {
    expect(executableNames('ffmpeg', { platform: 'win32', env })).toEqual(['ffmpeg.com', 'ffmpeg.exe', 'ffmpeg.bat', 'ffmpeg.cmd']);
    expect(findTool('ffmpeg', lookup('win32', env, ['C:\\tools\\ffmpeg.exe']))).toBe('C:\\tools\\ffmpeg.exe');
  });
  it('finds LibreOffice in Program Files though it is not on PATH, and ffmpeg from winget or scoop', () => {
    const l = lookup('win32', env, ['C:\\Program Files\\LibreOffice\\program\\soffice.exe', 'C:\\Users\\me\\scoop\\shims\\ffmpeg.exe']);
    expect(findTool('soffice', l)).toBe('C:\\Program Files\\LibreOffice\\program\\soffice.exe');
    expect(findTool('ffmpeg', l)).toBe('C:\\Users\\me\\scoop\\shims\\ffmpeg.exe');
    expect(wellKnownDirs('ffmpeg', l)).toContain('C:\\Users\\me\\AppData\\Local\\Microsoft\\WinGet\\Links');
  });
});

describe('macOS (an app started from Finder has PATH=/usr/bin:/bin:/usr/sbin:/sbin)', () => {
  const env = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', HOME: '/Users/me' };
  it('finds Homebrew\u2019s ffmpeg and LibreOffice.app', () => {
    const l = lookup('darwin', env, ['/opt/homebrew/bin/ffmpeg', '/opt/homebrew/bin/ffprobe', '/Applications/LibreOffice.app/Contents/MacOS/soffice']);
    expect(findTool('ffmpeg', l)).toBe('/opt/homebrew/bin/ffmpeg');
    expect(findTool('ffprobe', l)).toBe('/opt/homebrew/bin/ffprobe');
    expect(findTool('soffice', l)).toBe('/Applications/LibreOffice.app/Contents/MacOS/soffice');
  });
});

describe('Linux', () => {
  it('PATH first, then versioned /opt/libreoffice folders (newest first) and the libreoffice launcher name', () => {
    const l = lookup('linux', { PATH: '/usr/bin' }, ['/opt/libreoffice7.6/program/soffice', '/opt/libreoffice24.2/program/soffice'], {
      '/opt': ['libreoffice7.6', 'libreoffice24.2', 'google'],
    });
    expect(findTool('soffice', l)).toBe('/opt/libreoffice7.6/program/soffice');
    expect(findTool('soffice', lookup('linux', { PATH: '/usr/bin' }, ['/usr/bin/libreoffice']))).toBe('/usr/bin/libreoffice');
    expect(findTool('ffmpeg', lookup('linux', { PATH: '' }, []))).toBeUndefined();
  });
});

describe('paths set in Settings', () => {
  it('a file is used as it is (ffprobe is taken from beside it); a folder is searched; a bad one falls back to the search', () => {
    const l = lookup('linux', { PATH: '/usr/bin' }, ['/usr/bin/ffmpeg', '/usr/bin/ffprobe', '/custom/ff/ffmpeg', '/custom/ff/ffprobe', '/lo/program/soffice']);
    expect(findTool('ffmpeg', l, '/custom/ff/ffmpeg')).toBe('/custom/ff/ffmpeg');
    expect(findTool('ffprobe', l, '/custom/ff/ffmpeg')).toBe('/custom/ff/ffprobe');
    expect(findTool('soffice', l, '/lo/program')).toBe('/lo/program/soffice');
    expect(findTool('ffmpeg', l, '/nowhere/ffmpeg')).toBe('/usr/bin/ffmpeg');
  });
});
