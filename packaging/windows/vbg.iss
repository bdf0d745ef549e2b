; Inno Setup 6 script for vbg on Windows: installs the PyInstaller one-folder bundle.
;
; UNTESTED HERE: written on Linux, where neither Inno Setup nor a Windows build can run. Build
; it on Windows (docs/packaging.md, .github/workflows/packaging.yml):
;
;   pyinstaller --noconfirm packaging\vbg.spec          -> dist\vbg\vbg.exe, dist\vbg\vbg-cli.exe
;   iscc /DAppVersion=0.1.0 packaging\windows\vbg.iss   -> dist\vbg-0.1.0-setup.exe
;
; What it does: per-user install by default (no admin prompt; "install for all users" can be
; chosen), a Start menu entry, an optional desktop icon, optional start at sign-in (the same
; HKCU Run value "vbg" that the app's own "Start at login" switch uses, so the two agree), and
; a check for the OBS Virtual Camera, which is what vbg's picture reaches video-call apps
; through on Windows, with a link to install OBS Studio when it is missing.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\vbg"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

; DirectShow filter that OBS Studio (26+) registers for its virtual camera.
#define ObsVirtualCamClsid "{A3FCE0F5-3493-419F-958A-ABA1250EC20B}"
#define ObsDownloadUrl "https://obsproject.com/download"

[Setup]
AppId={{6F1B7D52-3C7A-4E55-9C1E-2B4A7F0D9E31}
AppName=vbg
AppVersion={#AppVersion}
AppVerName=vbg {#AppVersion}
AppPublisher=vbg contributors
DefaultDirName={autopf}\vbg
DefaultGroupName=vbg
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=vbg-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\vbg.exe
UninstallDisplayName=vbg
CloseApplications=yes
#ifdef SetupIcon
SetupIconFile={#SetupIcon}
#endif

[Tasks]
Name: "autostart"; Description: "Start vbg when I sign in (it waits in the tray)"; GroupDescription: "Startup:"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\vbg"; Filename: "{app}\vbg.exe"; Comment: "Blur or replace your webcam background"
Name: "{autodesktop}\vbg"; Filename: "{app}\vbg.exe"; Tasks: desktopicon

[Registry]
; Same value the app writes for "Start at login" (vbg/app/autostart.py), removed on uninstall.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "vbg"; ValueData: """{app}\vbg.exe"""; Flags: uninsdeletevalue; Tasks: autostart

[Run]
Filename: "{app}\vbg.exe"; Description: "Start vbg now"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer put there; the user's settings (%LOCALAPPDATA%\vbg) stay.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
function ObsVirtualCameraInstalled(): Boolean;
begin
  Result := RegKeyExists(HKCR, 'CLSID\{#ObsVirtualCamClsid}')
    or RegKeyExists(HKLM64, 'SOFTWARE\Classes\CLSID\{#ObsVirtualCamClsid}')
    or RegKeyExists(HKLM32, 'SOFTWARE\Classes\CLSID\{#ObsVirtualCamClsid}');
end;

procedure CurStepChanged(CurStep: TSetupStep);
var
  ErrorCode: Integer;
begin
  if (CurStep = ssPostInstall) and not WizardSilent() and not ObsVirtualCameraInstalled() then
  begin
    if MsgBox('vbg is installed, but the OBS Virtual Camera is not.' + #13#10 + #13#10 +
              'vbg hands its picture to video-call apps (Teams, Zoom, Meet in the browser) ' +
              'through the OBS Virtual Camera. Install OBS Studio 30 or newer, start it once ' +
              'and click "Start Virtual Camera", then "Stop Virtual Camera"; after that vbg ' +
              'can use it (OBS itself does not need to run).' + #13#10 + #13#10 +
              'Open the OBS Studio download page now?',
              mbConfirmation, MB_YESNO) = IDYES then
      ShellExec('open', '{#ObsDownloadUrl}', '', '', SW_SHOWNORMAL, ewNoWait, ErrorCode);
  end;
end;
