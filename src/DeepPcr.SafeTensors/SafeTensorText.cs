using System.Text;

namespace DeepPcr.SafeTensors;

/// <summary>Formatting helpers that keep error messages on one line.</summary>
internal static class SafeTensorText
{
    /// <summary>Quotes a name for a message, escaping control characters so the message stays one line.</summary>
    internal static string Quote(string? text)
    {
        if (text is null)
        {
            return "null";
        }

        var sb = new StringBuilder(text.Length + 2);
        sb.Append('\'');
        foreach (char c in text)
        {
            if (char.IsControl(c))
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('\'').ToString();
    }

    /// <summary>Formats a shape as "[d0, d1]".</summary>
    internal static string Shape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The product of the dimensions, with overflow checking.</summary>
    /// <exception cref="OverflowException">The product does not fit in a long.</exception>
    internal static long CheckedElementCount(IEnumerable<long> shape)
    {
        long count = 1;
        foreach (long d in shape)
        {
            count = checked(count * d);
        }

        return count;
    }
}
