# ---- tlsreg runtime: fixed code, the same in every generated script ----------------------
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
# What the checks found (-Check, and the detection script): each setting that is not as
# the profile asks, in words.
$script:Checked = 0
$script:Differences = New-Object -TypeName 'System.Collections.Generic.List[string]'
# The detection script prints one line in all; the others one per setting.
$script:OneLine = $false

# Splits 'HKEY_LOCAL_MACHINE\SYSTEM\...' into the 64-bit base key and the subkey path.
# OpenBaseKey with Registry64 reaches the 64-bit view even from a 32-bit PowerShell (Intune
# runs scripts in one by default), and a subkey path is opened whole, so a name such as
# 'RC4 128/128' stays one key.
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

# Why this script has no lists for the build, or $null when it has.
function Get-TlsregBuildProblem {
    param([int]$Build, [int]$Min, [int]$Max)
    if ($Build -eq 0) {
        return 'The Windows build could not be read (CurrentBuildNumber), and the cipher-suite and curve lists depend on it.'
    }
    if ($Build -lt $Min -or ($Max -gt 0 -and $Build -gt $Max)) {
        $upper = 'and later'
        if ($Max -gt 0) { $upper = ('to {0}' -f $Max) }
        return ('This script has cipher-suite and curve lists for Windows builds {0} {1}; this is build {2}.' -f $Min, $upper, $Build)
    }
    return $null
}

# Records a setting that is not as the profile asks.
function Add-TlsregDifference {
    param([string]$Text)
    $script:Differences.Add($Text)
    if (-not $script:OneLine) { Write-Output ('differs    {0}' -f $Text) }
}

# Checks, without changing anything, that a value is set as the profile sets it.
function Test-TlsregValue {
    param([string]$Key, [string]$Name, [string]$Kind, $Data, [switch]$Encoded, [switch]$Restart)
    $want = ConvertTo-TlsregData -Kind $Kind -Data $Data -Encoded $Encoded.IsPresent
    $label = Format-TlsregLabel $Key $Name
    $script:Checked++
    $cur = Read-TlsregValue $Key $Name
    if ($null -eq $cur) {
        Add-TlsregDifference ('{0} is missing (the profile sets {1})' -f $label, $Kind)
    } elseif ($cur.Kind -ne $Kind) {
        Add-TlsregDifference ('{0} is {1} (the profile sets {2})' -f $label, $cur.Kind, $Kind)
    } elseif (-not (Test-TlsregEqual $cur.Data $want)) {
        Add-TlsregDifference ('{0} holds other data than the profile sets' -f $label)
    } elseif (-not $script:OneLine) {
        Write-Output ('as set     {0}' -f $label)
    }
}

# Checks, without changing anything, that a value the profile deletes is absent.
function Test-TlsregValueAbsent {
    param([string]$Key, [string]$Name, [switch]$Restart)
    $label = Format-TlsregLabel $Key $Name
    $script:Checked++
    if ($null -ne (Read-TlsregValue $Key $Name)) {
        Add-TlsregDifference ('{0} is present (the profile deletes it)' -f $label)
    } elseif (-not $script:OneLine) {
        Write-Output ('as set     {0} (absent)' -f $label)
    }
}

# Checks, without changing anything, that a key the profile deletes is absent.
function Test-TlsregKeyAbsent {
    param([string]$Key, [switch]$Restart)
    $label = ('[{0}]' -f $Key)
    $script:Checked++
    if (Test-TlsregKey $Key) {
        Add-TlsregDifference ('{0} is present (the profile deletes it)' -f $label)
    } elseif (-not $script:OneLine) {
        Write-Output ('as set     {0} (absent)' -f $label)
    }
}
# ---- end of the tlsreg runtime common part -----------------------------------------------
