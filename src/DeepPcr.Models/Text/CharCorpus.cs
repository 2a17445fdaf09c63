using System.IO.Compression;
using System.Text;

namespace DeepPcr.Models.Text;

/// <summary>
/// A text as a sequence of character tokens: the sorted distinct characters are the vocabulary, token k the k-th of
/// them. The last <see cref="HeldOutFraction"/> of the text is held out (contiguous, so that no training window
/// overlaps it).
/// </summary>
public sealed class CharCorpus
{
    /// <summary>The share of the text, at its end, held out for bits per character.</summary>
    public const double HeldOutFraction = 0.1;

    private readonly Dictionary<char, int> index;

    /// <summary>Tokenises <paramref name="text"/>.</summary>
    /// <param name="name">The corpus's name, for messages and reports.</param>
    /// <param name="text">At least 2 characters, of which at least 2 distinct.</param>
    /// <exception cref="InvalidDataException">A text too short or with a single character.</exception>
    public CharCorpus(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Name = name;
        Vocabulary = text.Distinct().Order().ToArray();
        if (text.Length < 20 || Vocabulary.Length < 2)
        {
            throw new InvalidDataException($"{name}: {text.Length} characters with {Vocabulary.Length} distinct ones is too little text for a language model.");
        }
        index = Vocabulary.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        Tokens = text.Select(c => (long)index[c]).ToArray();
        TrainLength = (int)(Tokens.Length * (1 - HeldOutFraction));
    }

    /// <summary>The corpus's name.</summary>
    public string Name { get; }

    /// <summary>The distinct characters, sorted; token k is Vocabulary[k].</summary>
    public char[] Vocabulary { get; }

    /// <summary>Every character's token, in order.</summary>
    public long[] Tokens { get; }

    /// <summary>Tokens [0, TrainLength) train; the rest are held out.</summary>
    public int TrainLength { get; }

    /// <summary>The held-out tokens.</summary>
    public ReadOnlySpan<long> HeldOut => Tokens.AsSpan(TrainLength);

    /// <summary>The token of <paramref name="c"/>.</summary>
    /// <exception cref="ArgumentException">A character outside the vocabulary.</exception>
    public long Encode(char c) => index.TryGetValue(c, out int k) ? k : throw new ArgumentException($"'{c}' is not in the {Name} vocabulary.", nameof(c));

    /// <summary>The text of a run of tokens.</summary>
    public string Decode(IEnumerable<long> tokens) => new(tokens.Select(t => Vocabulary[t]).ToArray());

    /// <summary>Reads a gzip-compressed UTF-8 text.</summary>
    /// <exception cref="InvalidDataException">Not gzip.</exception>
    public static string ReadGzip(Stream stream, string name)
    {
        try
        {
            using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{name}: not a gzip-compressed text ({e.Message}).", e);
        }
    }
}
