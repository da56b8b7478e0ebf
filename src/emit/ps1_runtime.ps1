# ---- tlsreg runtime: fixed code, the same in every generated script ----------------------
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$script:Cmdlet = $PSCmdlet
$script:Changed = 0
$script:Deleted = 0
$script:Unchanged = 0
$script:Failed = 0
$script:RestartNeeded = $false
$script:BackupDone = $false

# Splits 'HKEY_LOCAL_MACHINE\SYSTEM\...' into the 64-bit base key and the subkey path.
# OpenBaseKey with Registry64 writes the 64-bit view even from a 32-bit PowerShell, and
# CreateSubKey keeps a name such as 'RC4 128/128' as one key.
function Get-TlsregBase {
    param([string]$Key)
    $parts = $Key.Split([char[]]@([char]92), 2)
    $hive = switch ($parts[0]) {
        'HKEY_LOCAL_MACHINE' { [Microsoft.Win32.RegistryHive]::LocalMachine }
        'HKEY_CURRENT_USER' { [Microsoft.Win32.RegistryHive]::CurrentUser }
        'HKEY_USERS' { [Microsoft.Win32.RegistryHive]::Users }
        'HKEY_CLASSES_ROOT' { [Microsoft.Win32.RegistryHive]::ClassesRoot }
        'HKEY_CURRENT_CONFIG' { [Microsoft.Win32.RegistryHive]::CurrentConfig }
        default { throw ('unknown registry root in {0}' -f $Key) }
    }
    $base = [Microsoft.Win32.RegistryKey]::OpenBaseKey($hive, [Microsoft.Win32.RegistryView]::Registry64)
    return @($base, $parts[1])
}

function Format-TlsregLabel {
    param([string]$Key, [string]$Name)
    if ($Name -eq '') { return ('[{0}] (default)' -f $Key) }
    return ('[{0}] {1}' -f $Key, $Name)
}

function ConvertFrom-TlsregHex {
    param([string]$Hex)
    $bytes = New-Object -TypeName 'byte[]' -ArgumentList ($Hex.Length / 2)
    for ($i = 0; $i -lt $bytes.Length; $i++) {
        $bytes[$i] = [Convert]::ToByte($Hex.Substring($i * 2, 2), 16)
    }
    return ,$bytes
}

# Text that a single-quoted literal cannot carry (line breaks, control characters) arrives
# as hex of its UTF-16LE code units.
function ConvertFrom-TlsregUtf16Hex {
    param([string]$Hex)
    return [System.Text.Encoding]::Unicode.GetString((ConvertFrom-TlsregHex $Hex))
}

# The .NET object RegistryKey.SetValue takes for each kind.
function ConvertTo-TlsregData {
    param([string]$Kind, $Data, [bool]$Encoded)
    switch ($Kind) {
        'DWord' { return [BitConverter]::ToInt32([BitConverter]::GetBytes([uint32]$Data), 0) }
        'QWord' { return [BitConverter]::ToInt64([BitConverter]::GetBytes([uint64]::Parse([string]$Data)), 0) }
        'Binary' { return ,(ConvertFrom-TlsregHex $Data) }
        'None' { return ,(ConvertFrom-TlsregHex $Data) }
        'MultiString' {
            $items = New-Object -TypeName 'System.Collections.Generic.List[string]'
            foreach ($item in @($Data)) {
                if ($Encoded) { $items.Add((ConvertFrom-TlsregUtf16Hex $item)) } else { $items.Add([string]$item) }
            }
            return ,($items.ToArray())
        }
        default {
            if ($Encoded) { return (ConvertFrom-TlsregUtf16Hex $Data) }
            return [string]$Data
        }
    }
}

# The current kind and data of a value, or $null when the key or the value is absent.
function Read-TlsregValue {
    param([string]$Key, [string]$Name)
    $base, $sub = Get-TlsregBase $Key
    $k = $base.OpenSubKey($sub, $false)
    if ($null -eq $k) { return $null }
    try {
        if (-not ($k.GetValueNames() -contains $Name)) { return $null }
        $data = $k.GetValue($Name, $null, [Microsoft.Win32.RegistryValueOptions]::DoNotExpandEnvironmentNames)
        return @{ Kind = $k.GetValueKind($Name).ToString(); Data = $data }
    } finally {
        $k.Close()
    }
}

function Test-TlsregEqual {
    param($Current, $Want)
    if ($null -eq $Current) { return $false }
    if ($Want -is [array]) {
        if ($Current -isnot [array] -or $Current.Length -ne $Want.Length) { return $false }
        for ($i = 0; $i -lt $Want.Length; $i++) {
            if ($Current[$i] -cne $Want[$i]) { return $false }
        }
        return $true
    }
    return ($Current -ceq $Want)
}

# Exports every key the script may touch, once, before the first change.
function Invoke-TlsregBackup {
    if ($script:BackupDone) { return }
    $script:BackupDone = $true
    if ($NoBackup) {
        Write-Output 'backup     skipped (-NoBackup)'
        return
    }
    $safe = $script:ProfileName -replace '[^A-Za-z0-9._-]', '_'
    $dir = Join-Path -Path $BackupPath -ChildPath ('{0}-{1}' -f $safe, (Get-Date -Format 'yyyyMMdd-HHmmss'))
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $absent = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $n = 0
    foreach ($key in $script:Keys) {
        $n++
        $base, $sub = Get-TlsregBase $key
        $k = $base.OpenSubKey($sub, $false)
        if ($null -eq $k) {
            $absent.Add($key)
            continue
        }
        $k.Close()
        $file = Join-Path -Path $dir -ChildPath ('{0:D4}.reg' -f $n)
        # reg.exe's messages on stderr must not become terminating errors.
        $eap = $ErrorActionPreference
        $ErrorActionPreference = 'Continue'
        try {
            $null = & reg.exe export $key $file /y /reg:64 2>&1
        } finally {
            $ErrorActionPreference = $eap
        }
        if ($LASTEXITCODE -ne 0) {
            throw ('reg.exe export of [{0}] failed with exit code {1}; nothing was changed' -f $key, $LASTEXITCODE)
        }
    }
    if ($absent.Count -gt 0) {
        # Keys that did not exist: a restore deletes them.
        [System.IO.File]::WriteAllLines((Join-Path -Path $dir -ChildPath 'absent-keys.txt'), $absent.ToArray())
    }
    Write-Output ('backup     {0} (restore: reg.exe import each .reg file; delete the keys in absent-keys.txt)' -f $dir)
}

function Set-TlsregValue {
    param([string]$Key, [string]$Name, [string]$Kind, $Data, [switch]$Encoded, [switch]$Restart)
    $want = ConvertTo-TlsregData -Kind $Kind -Data $Data -Encoded $Encoded.IsPresent
    $label = Format-TlsregLabel $Key $Name
    $cur = Read-TlsregValue $Key $Name
    if ($null -ne $cur -and $cur.Kind -eq $Kind -and (Test-TlsregEqual $cur.Data $want)) {
        $script:Unchanged++
        Write-Output ('unchanged  {0}' -f $label)
        return
    }
    if (-not $script:Cmdlet.ShouldProcess($label, ('set {0}' -f $Kind))) { return }
    Invoke-TlsregBackup
    $base, $sub = Get-TlsregBase $Key
    $k = $base.CreateSubKey($sub)
    try {
        $k.SetValue($Name, $want, [Microsoft.Win32.RegistryValueKind]$Kind)
    } finally {
        $k.Close()
    }
    $after = Read-TlsregValue $Key $Name
    if ($null -eq $after -or $after.Kind -ne $Kind -or -not (Test-TlsregEqual $after.Data $want)) {
        $script:Failed++
        Write-Error -ErrorAction Continue -Message ('read-back mismatch after setting {0}' -f $label)
        return
    }
    $script:Changed++
    if ($Restart) { $script:RestartNeeded = $true }
    Write-Output ('changed    {0}' -f $label)
}

function Remove-TlsregValue {
    param([string]$Key, [string]$Name, [switch]$Restart)
    $label = Format-TlsregLabel $Key $Name
    if ($null -eq (Read-TlsregValue $Key $Name)) {
        $script:Unchanged++
        Write-Output ('unchanged  {0} (absent)' -f $label)
        return
    }
    if (-not $script:Cmdlet.ShouldProcess($label, 'delete value')) { return }
    Invoke-TlsregBackup
    $base, $sub = Get-TlsregBase $Key
    $k = $base.OpenSubKey($sub, $true)
    try {
        $k.DeleteValue($Name, $false)
    } finally {
        $k.Close()
    }
    if ($null -ne (Read-TlsregValue $Key $Name)) {
        $script:Failed++
        Write-Error -ErrorAction Continue -Message ('{0} is still there after deleting it' -f $label)
        return
    }
    $script:Deleted++
    if ($Restart) { $script:RestartNeeded = $true }
    Write-Output ('deleted    {0}' -f $label)
}

function Remove-TlsregKey {
    param([string]$Key, [switch]$Restart)
    $label = ('[{0}]' -f $Key)
    $base, $sub = Get-TlsregBase $Key
    $k = $base.OpenSubKey($sub, $false)
    if ($null -eq $k) {
        $script:Unchanged++
        Write-Output ('unchanged  {0} (absent)' -f $label)
        return
    }
    $k.Close()
    if (-not $script:Cmdlet.ShouldProcess($label, 'delete key and subkeys')) { return }
    Invoke-TlsregBackup
    $base.DeleteSubKeyTree($sub, $false)
    $k = $base.OpenSubKey($sub, $false)
    if ($null -ne $k) {
        $k.Close()
        $script:Failed++
        Write-Error -ErrorAction Continue -Message ('{0} is still there after deleting it' -f $label)
        return
    }
    $script:Deleted++
    if ($Restart) { $script:RestartNeeded = $true }
    Write-Output ('deleted    {0}' -f $label)
}

# Whether a key exists.
function Test-TlsregKey {
    param([string]$Key)
    $base, $sub = Get-TlsregBase $Key
    $k = $base.OpenSubKey($sub, $false)
    if ($null -eq $k) { return $false }
    $k.Close()
    return $true
}

# This computer's Windows build (CurrentBuildNumber), or 0 when it cannot be read.
function Get-TlsregBuild {
    $value = Read-TlsregValue 'HKEY_LOCAL_MACHINE\SOFTWARE\@CURRENT_VERSION@' 'CurrentBuildNumber'
    $build = 0
    if ($null -ne $value -and [int]::TryParse([string]$value.Data, [ref]$build)) { return $build }
    return 0
}

# The build, when the profile has lists for it; otherwise stops before any change (-Force
# does not help: there is no list for that build).
function Assert-TlsregBuild {
    param([int]$Min, [int]$Max)
    $build = Get-TlsregBuild
    $problem = $null
    if ($build -eq 0) {
        $problem = 'The Windows build could not be read (CurrentBuildNumber), and the cipher-suite and curve lists depend on it.'
    } elseif ($build -lt $Min -or ($Max -gt 0 -and $build -gt $Max)) {
        $upper = 'and later'
        if ($Max -gt 0) { $upper = ('to {0}' -f $Max) }
        $problem = ('This script has cipher-suite and curve lists for Windows builds {0} {1}; this is build {2}.' -f $Min, $upper, $build)
    }
    if ($null -ne $problem) {
        # Not Write-Output: the caller assigns this function's output.
        Write-Error -ErrorAction Continue -Message ('{0} Nothing was changed.' -f $problem)
        exit 1
    }
    return $build
}

# The prerequisites of "Enabling TLS 1.2 on Windows Server": Server 2008 SP2 with
# KB4019276, Server 2008 R2 / Windows 7 with SP1, and no .NET Framework 4 older than 4.5.
function Test-TlsregPrerequisites {
    $problems = New-Object -TypeName 'System.Collections.Generic.List[string]'
    $build = Get-TlsregBuild
    if ($build -lt @TLS12_MIN_BUILD@) {
        $problems.Add(('TLS 1.2 needs Windows Server 2008 SP2 (build @TLS12_MIN_BUILD@) or later; this is build {0}.' -f $build))
    } elseif ($build -lt @SERVER_2008_END@ -and $null -eq (Get-HotFix -Id '@SERVER_2008_UPDATE@' -ErrorAction SilentlyContinue)) {
        $problems.Add('Windows Server 2008 SP2 needs update @SERVER_2008_UPDATE@ for TLS 1.1 and 1.2 (https://support.microsoft.com/help/4019276).')
    } elseif ($build -eq @WIN7_RTM_BUILD@) {
        $problems.Add('Windows Server 2008 R2 and Windows 7 need Service Pack 1 for TLS 1.2.')
    }
    # .NET: no .NET Framework 4 at all is fine (no .NET 4 app can fail); 4.0 without 4.5
    # cannot use TLS 1.2; 4.5.x needs SchUseStrongCrypto=1 (a warning: this profile or
    # dotnet-strong-crypto may be what sets it).
    $full = 'HKEY_LOCAL_MACHINE\SOFTWARE\@NDP_FULL@'
    $has4 = (Test-TlsregKey $full) -or (Test-TlsregKey 'HKEY_LOCAL_MACHINE\SOFTWARE\@NDP_CLIENT@')
    $release = Read-TlsregValue $full 'Release'
    $rel = [int64]0
    if ($null -ne $release) { $rel = [int64]$release.Data }
    if ($has4 -and $rel -lt @NET45_RELEASE@) {
        $problems.Add('.NET Framework 4.0 is installed without 4.5 or newer: its apps cannot use TLS 1.2 (install 4.5 or newer; NDP\v4\Full Release @NET45_RELEASE@ or more).')
    } elseif ($has4 -and $rel -lt @NET46_RELEASE@) {
        $strong = Read-TlsregValue 'HKEY_LOCAL_MACHINE\SOFTWARE\@NET_V4@' 'SchUseStrongCrypto'
        if ($null -eq $strong -or [int64]$strong.Data -ne 1) {
            Write-Warning 'Apps on .NET Framework 4.5.x use TLS 1.0 unless SchUseStrongCrypto=1 under .NETFramework\v4.0.30319 (see the dotnet-strong-crypto profile).'
        }
    }
    if ($problems.Count -gt 0) {
        foreach ($p in $problems) { Write-Error -ErrorAction Continue -Message $p }
        Write-Output 'Prerequisites are missing; nothing was changed. Run again with -Force to apply anyway.'
        exit 1
    }
}
# ---- end of the tlsreg runtime -----------------------------------------------------------
