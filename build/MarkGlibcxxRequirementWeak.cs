// Compiled by MSBuild's RoslynCodeTaskFactory (see build/DeepPcr.targets, which the DeepPcr package carries as
// buildTransitive/DeepPcr.targets beside this file). No external tools.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks one symbol-version requirement (for example GLIBCXX_3.4.32) weak in ELF64 shared libraries,
/// so that glibc loads them where the system libstdc++ lacks that version. Only the given files change.
/// </summary>
public class MarkGlibcxxRequirementWeak : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Files { get; set; }
    [Required] public string Version { get; set; }

    /// <summary>Patch even where this machine's libstdc++ has the version (files that run elsewhere: a tool package).</summary>
    public bool Always { get; set; }

    public override bool Execute()
    {
        string system = FindSystemLibStdCxx();
        if (!Always && system != null && Contains(File.ReadAllBytes(system), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, "{0} provides {1}: nothing to patch.", system, Version);
            return true;
        }
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                Patch(path);
            }
            catch (Exception e)
            {
                Log.LogError("Could not mark {0} weak in {1}: {2}", Version, path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private void Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
            || elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("not a little-endian ELF64 file");
        }
        ulong shoff = BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        int changed = 0, found = 0;
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToUInt64(elf, sh + 24));
            int link = (int)BitConverter.ToUInt32(elf, sh + 40);
            int count = (int)BitConverter.ToUInt32(elf, sh + 44);
            int strtab = checked((int)BitConverter.ToUInt64(elf, (int)shoff + link * shentsize + 24));
            int need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                    if (NameAt(elf, name) == Version)
                    {
                        found++;
                        ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                            changed++;
                        }
                    }
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }
        if (changed == 0)
        {
            Log.LogMessage(MessageImportance.Low, "{0}: {1} {2}.", path, Version, found == 0 ? "not required" : "already weak");
            return;
        }
        // Write a new file and move it over the old one, so that a hard link into the NuGet cache is never
        // written through; keep the timestamp so that incremental builds see the copy as up to date.
        DateTime stamp = File.GetLastWriteTimeUtc(path);
        string temp = path + ".deeppcr-tmp";
        File.WriteAllBytes(temp, elf);
        File.SetLastWriteTimeUtc(temp, stamp);
        File.Delete(path);
        File.Move(temp, path);
        Log.LogMessage(MessageImportance.High, "Marked {0} weak in {1}.", Version, path);
    }

    private static string NameAt(byte[] elf, int start)
    {
        int end = Array.IndexOf(elf, (byte)0, start);
        return Encoding.ASCII.GetString(elf, start, end - start);
    }

    private static string FindSystemLibStdCxx()
    {
        string[] dirs = { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" };
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
