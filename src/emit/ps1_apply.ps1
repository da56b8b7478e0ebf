# ---- tlsreg runtime: applying (the script, and the remediation script) --------------------
$script:Cmdlet = $PSCmdlet
$script:Changed = 0
$script:Deleted = 0
$script:Unchanged = 0
$script:Failed = 0
$script:RestartNeeded = $false
$script:BackupDone = $false

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
    # -Check: compare only.
    if ($Check) { Test-TlsregValue @PSBoundParameters; return }
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
    # -Check: compare only.
    if ($Check) { Test-TlsregValueAbsent @PSBoundParameters; return }
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
    # -Check: compare only.
    if ($Check) { Test-TlsregKeyAbsent @PSBoundParameters; return }
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

# The build, when the profile has lists for it; otherwise stops before any change (-Force
# does not help: there is no list for that build).
function Assert-TlsregBuild {
    param([int]$Min, [int]$Max)
    $build = Get-TlsregBuild
    $problem = Get-TlsregBuildProblem -Build $build -Min $Min -Max $Max
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
# ---- end of the tlsreg runtime ----------------------------------------------------------
