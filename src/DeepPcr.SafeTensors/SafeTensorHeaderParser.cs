using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace DeepPcr.SafeTensors;

/// <summary>The checked contents of a safetensors header.</summary>
internal sealed record SafeTensorHeader(
    Dictionary<string, string> Metadata,
    SafeTensorInfo[] Tensors,
    long DataStart,
    long DataLength);

/// <summary>Parses and validates a safetensors header; every violation becomes a <see cref="SafeTensorsFormatException"/>.</summary>
internal static class SafeTensorHeaderParser
{
    /// <summary>The largest header accepted, as in the reference implementation.</summary>
    internal const long MaxHeaderLength = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>Parses the header of <paramref name="file"/> (the whole file) and checks it against the data buffer.</summary>
    internal static SafeTensorHeader Parse(byte[] file, string source) => Parse(file, file.Length, source);

    /// <summary>The header's length from the file's first 8 bytes, checked against the file's length.</summary>
    internal static int HeaderLength(ReadOnlySpan<byte> first8, long fileLength, string source)
    {
        if (fileLength < 8)
        {
            throw Fail(source, $"file is {fileLength} bytes, too short for the 8-byte header length");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(first8);
        if (headerLength > MaxHeaderLength)
        {
            throw Fail(source, $"header length {headerLength} is absurdly large (limit {MaxHeaderLength} bytes)");
        }

        if (headerLength > (ulong)(fileLength - 8))
        {
            throw Fail(source, $"header length {headerLength} is larger than the {fileLength - 8} bytes that follow it");
        }

        return (int)headerLength;
    }

    /// <summary>Parses the header held in <paramref name="prefix"/> (the file's first bytes, at least the 8-byte length and
    /// the header) and checks it against a data buffer that fills the rest of a file of <paramref name="fileLength"/> bytes.</summary>
    internal static SafeTensorHeader Parse(byte[] prefix, long fileLength, string source)
    {
        int n = HeaderLength(prefix.AsSpan(0, Math.Min(8, prefix.Length)), fileLength, source);
        var header = new ReadOnlyMemory<byte>(prefix, 8, n);
        if (!Utf8.IsValid(header.Span))
        {
            throw Fail(source, "header is not valid UTF-8");
        }

        long dataStart = 8L + n;
        long dataLength = fileLength - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, JsonOptions);
        }
        catch (JsonException e)
        {
            throw Fail(source, $"header is not valid JSON: {OneLine(e.Message)}", e);
        }

        using (document)
        {
            try
            {
                return Interpret(document.RootElement, source, dataStart, dataLength);
            }
            catch (InvalidOperationException e)
            {
                // JsonElement.GetString and property names throw this for escaped lone surrogates.
                throw Fail(source, $"header holds a string that is not valid text: {OneLine(e.Message)}", e);
            }
        }
    }

    private static SafeTensorHeader Interpret(JsonElement root, string source, long dataStart, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, $"header is a JSON {Kind(root)}, not an object");
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<SafeTensorInfo>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!seen.Add(name))
            {
                throw Fail(source, $"duplicate key {SafeTensorText.Quote(name)} in the header");
            }

            if (name == MetadataKey)
            {
                ReadMetadata(property.Value, source, metadata);
            }
            else
            {
                tensors.Add(ReadTensor(name, property.Value, source, dataLength));
            }
        }

        SafeTensorInfo[] sorted = [.. tensors
            .OrderBy(t => t.Begin)
            .ThenBy(t => t.End)
            .ThenBy(t => t.Name, StringComparer.Ordinal)];
        CheckCoverage(sorted, source, dataLength);
        return new SafeTensorHeader(metadata, sorted, dataStart, dataLength);
    }

    private static void ReadMetadata(JsonElement value, string source, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, $"{MetadataKey} is a JSON {Kind(value)}, not an object of strings");
        }

        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(source, $"{MetadataKey} entry {SafeTensorText.Quote(entry.Name)} is a JSON {Kind(entry.Value)}, not a string");
            }

            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw Fail(source, $"duplicate key {SafeTensorText.Quote(entry.Name)} in {MetadataKey}");
            }
        }
    }

    private static SafeTensorInfo ReadTensor(string name, JsonElement value, string source, long dataLength)
    {
        string q = "tensor " + SafeTensorText.Quote(name);
        if (name.Length == 0)
        {
            throw Fail(source, "tensor with an empty name");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, $"{q}: entry is a JSON {Kind(value)}, not an object");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty field in value.EnumerateObject())
        {
            if (!fields.Add(field.Name))
            {
                throw Fail(source, $"{q}: duplicate key {SafeTensorText.Quote(field.Name)}");
            }

            switch (field.Name)
            {
                case "dtype": dtypeElement = field.Value; break;
                case "shape": shapeElement = field.Value; break;
                case "data_offsets": offsetsElement = field.Value; break;
                default:
                    throw Fail(source, $"{q}: unknown field {SafeTensorText.Quote(field.Name)} (expected dtype, shape, data_offsets)");
            }
        }

        JsonElement dtypeValue = dtypeElement ?? throw Fail(source, $"{q}: lacks dtype");
        JsonElement shapeValue = shapeElement ?? throw Fail(source, $"{q}: lacks shape");
        JsonElement offsetsValue = offsetsElement ?? throw Fail(source, $"{q}: lacks data_offsets");

        if (dtypeValue.ValueKind != JsonValueKind.String)
        {
            throw Fail(source, $"{q}: dtype is a JSON {Kind(dtypeValue)}, not a string");
        }

        string dtypeText = dtypeValue.GetString()!;
        if (!SafeTensorDtypeExtensions.TryParseHeaderString(dtypeText, out SafeTensorDtype dtype))
        {
            throw Fail(source, $"{q}: unknown or unsupported dtype {SafeTensorText.Quote(dtypeText)}");
        }

        if (shapeValue.ValueKind != JsonValueKind.Array)
        {
            throw Fail(source, $"{q}: shape is a JSON {Kind(shapeValue)}, not an array");
        }

        var shape = new long[shapeValue.GetArrayLength()];
        int i = 0;
        foreach (JsonElement dim in shapeValue.EnumerateArray())
        {
            if (!TryGetNonNegativeInteger(dim, out shape[i]))
            {
                throw Fail(source, $"{q}: shape dimension {i} is {OneLine(dim.GetRawText())}, not a non-negative integer");
            }

            i++;
        }

        if (offsetsValue.ValueKind != JsonValueKind.Array || offsetsValue.GetArrayLength() != 2
            || !TryGetNonNegativeInteger(offsetsValue[0], out long begin)
            || !TryGetNonNegativeInteger(offsetsValue[1], out long end))
        {
            throw Fail(source, $"{q}: data_offsets is {OneLine(offsetsValue.GetRawText())}, not exactly two non-negative integers");
        }

        if (begin > end)
        {
            throw Fail(source, $"{q}: data_offsets begin {begin} is greater than end {end}");
        }

        long expected;
        try
        {
            expected = checked(SafeTensorText.CheckedElementCount(shape) * dtype.ElementSize());
        }
        catch (OverflowException e)
        {
            throw Fail(source, $"{q}: shape {SafeTensorText.Shape(shape)} of {dtypeText} has a byte size that overflows", e);
        }

        if (end - begin != expected)
        {
            throw Fail(source,
                $"{q}: byte size mismatch: data_offsets [{begin}, {end}] span {end - begin} bytes but shape {SafeTensorText.Shape(shape)} of {dtypeText} needs {expected}");
        }

        if (end > dataLength)
        {
            throw Fail(source, $"{q}: data_offsets [{begin}, {end}] lie outside the data buffer of {dataLength} bytes");
        }

        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>Checks that the tensors, sorted by offset, cover the data buffer exactly: no overlap, no gap, no trailing bytes.</summary>
    private static void CheckCoverage(SafeTensorInfo[] sorted, string source, long dataLength)
    {
        long cursor = 0;
        SafeTensorInfo? previous = null;
        foreach (SafeTensorInfo t in sorted)
        {
            if (t.Begin < cursor)
            {
                throw Fail(source,
                    $"tensor {SafeTensorText.Quote(t.Name)} at data_offsets [{t.Begin}, {t.End}] overlaps tensor {SafeTensorText.Quote(previous!.Name)} at [{previous.Begin}, {previous.End}]");
            }

            if (t.Begin > cursor)
            {
                throw Fail(source,
                    $"gap of {t.Begin - cursor} unused bytes in the data buffer before tensor {SafeTensorText.Quote(t.Name)} at offset {t.Begin}");
            }

            cursor = t.End;
            previous = t;
        }

        if (cursor != dataLength)
        {
            throw Fail(source,
                $"data buffer has {dataLength - cursor} unused trailing bytes after the last tensor (tensors end at offset {cursor} of {dataLength})");
        }
    }

    private static bool TryGetNonNegativeInteger(JsonElement element, out long value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt64(out value) && value >= 0;
    }

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "value",
    };

    private static string OneLine(string text)
    {
        const int Limit = 200;
        string flat = text.ReplaceLineEndings(" ");
        return flat.Length <= Limit ? flat : flat[..Limit] + "...";
    }

    private static SafeTensorsFormatException Fail(string source, string problem) =>
        new($"{source}: {problem}");

    private static SafeTensorsFormatException Fail(string source, string problem, Exception inner) =>
        new($"{source}: {problem}", inner);
}
