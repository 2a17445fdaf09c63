namespace DeepPcr.Models.Data;

/// <summary>A seeded, stratified split: each class contributes the same fraction to the test set.</summary>
public static class StratifiedSplit
{
    /// <summary>Indices of the training and test samples, each sorted.</summary>
    /// <param name="labels">Class of every sample.</param>
    /// <param name="testFraction">Fraction of every class put in the test set (rounded to nearest).</param>
    /// <param name="seed">Seed of the per-class shuffles.</param>
    public static (int[] Train, int[] Test) Split(IReadOnlyList<int> labels, double testFraction, int seed)
    {
        if (testFraction is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(testFraction), "The test fraction must lie strictly between 0 and 1.");
        var random = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        foreach (var group in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key))
        {
            var members = group.ToArray();
            random.Shuffle(members);
            int testCount = (int)Math.Round(members.Length * testFraction);
            test.AddRange(members.Take(testCount));
            train.AddRange(members.Skip(testCount));
        }
        train.Sort();
        test.Sort();
        return (train.ToArray(), test.ToArray());
    }
}
