namespace DeepPcr.Models.Text;

/// <summary>
/// The King James Bible (public domain; Debian's bible-kjv-text 4.38 as printed by `bible "Gen1:1-Rev22:21"`, see
/// data/README.md), embedded in this assembly: 4,298,239 characters, 73 distinct.
/// </summary>
public static class KingJamesBible
{
    private const string Resource = "DeepPcr.Models.Data.kjv.txt.gz";
    private static readonly Lazy<CharCorpus> Corpus = new(Read);

    /// <summary>The embedded text as a character corpus (read once per process).</summary>
    public static CharCorpus Load() => Corpus.Value;

    private static CharCorpus Read()
    {
        using var stream = typeof(KingJamesBible).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"The embedded resource {Resource} is missing from the build.");
        return new CharCorpus("kjv", CharCorpus.ReadGzip(stream, "kjv"));
    }
}
