using DeepPcr.Backward;
using DeepPcr.Recurrent;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Recurrent;

/// <summary>
/// Runs stacked, optionally bidirectional recurrent layers as PyTorch's <c>nn.GRU</c>/<c>nn.LSTM</c> do: each layer
/// and direction is one chain along T solved by <see cref="RecurrentScan"/> (a reverse chain reads the sequence
/// reversed and its outputs are flipped back), the directions' outputs are concatenated [forward, reverse], the
/// next layer reads them (after dropout in training, except above the last layer), and the final states are
/// stacked layer-major.
/// </summary>
internal static class RecurrentStack
{
    /// <summary>The forward pass; every tensor is differentiable with respect to the input, the initial states and the parameters.</summary>
    /// <param name="layout">The architecture.</param>
    /// <param name="parameters">The parameters by PyTorch name.</param>
    /// <param name="input">[T, B, I], [B, T, I] batch first, or [T, I] unbatched.</param>
    /// <param name="h0">[layers·D, B, H] ([layers·D, H] unbatched), or null for zeros.</param>
    /// <param name="c0">The LSTMs' initial cell states, shaped as <paramref name="h0"/>, or null for zeros.</param>
    /// <param name="solver">The method of every chain.</param>
    /// <param name="options">Solver settings, or null.</param>
    /// <param name="adjoint">How the backward passes solve the reversed chains; null: the scan's default.</param>
    /// <param name="training">Whether dropout applies.</param>
    /// <exception cref="ArgumentException">Shapes, dtypes or devices that do not fit the layout.</exception>
    public static RecurrentOutput Run(RecurrentLayout layout, IReadOnlyDictionary<string, Tensor> parameters, Tensor input, Tensor? h0, Tensor? c0,
        IChainSolver solver, SolverOptions? options, AdjointMethod? adjoint, bool training)
    {
        var weightIh = parameters["weight_ih_l0"];
        bool batched = RecurrentInputs.Check(layout, weightIh, input, h0, c0);
        using var scope = torch.NewDisposeScope();
        var x = batched ? (layout.BatchFirst ? input.transpose(0, 1) : input) : input.unsqueeze(1);
        var h = h0 is null ? null : batched ? h0 : h0.unsqueeze(1);
        var c = c0 is null ? null : batched ? c0 : c0.unsqueeze(1);
        var hn = new List<Tensor>();
        var cn = new List<Tensor>();
        var reports = new List<RecurrentChainReport>();
        var layerInput = x;
        for (long layer = 0; layer < layout.NumLayers; layer++)
        {
            var outputs = new Tensor[layout.Directions];
            for (int direction = 0; direction < layout.Directions; direction++)
            {
                long k = layer * layout.Directions + direction;
                var sequence = direction == 0 ? layerInput : layerInput.flip(0);
                var result = RecurrentScan.Apply(layout.Cell, sequence, Weights(layout, parameters, layer, direction), h?[k], c?[k], solver, options, adjoint);
                outputs[direction] = direction == 0 ? result.Output : result.Output.flip(0);
                hn.Add(result.HN);
                if (result.CN is not null) cn.Add(result.CN);
                reports.Add(new RecurrentChainReport(layer, direction, result));
            }
            layerInput = outputs.Length == 1 ? outputs[0] : torch.cat(outputs, 2);
            if (training && layout.Dropout > 0 && layer < layout.NumLayers - 1) layerInput = nn.functional.dropout(layerInput, layout.Dropout, training: true);
        }
        var output = batched ? (layout.BatchFirst ? layerInput.transpose(0, 1) : layerInput) : layerInput.squeeze(1);
        var hN = Final(hn, batched);
        var cN = cn.Count == 0 ? null : Final(cn, batched);
        return new RecurrentOutput(output.MoveToOuterDisposeScope(), hN.MoveToOuterDisposeScope(), cN?.MoveToOuterDisposeScope(), reports);
    }

    /// <summary>The weights of one layer and direction (biases null without bias).</summary>
    public static RecurrentWeights Weights(RecurrentLayout layout, IReadOnlyDictionary<string, Tensor> parameters, long layer, int direction)
    {
        string suffix = RecurrentLayout.Suffix(layer, direction);
        return new RecurrentWeights(parameters["weight_ih" + suffix], parameters["weight_hh" + suffix],
            layout.Bias ? parameters["bias_ih" + suffix] : null, layout.Bias ? parameters["bias_hh" + suffix] : null);
    }

    private static Tensor Final(List<Tensor> states, bool batched)
    {
        var stacked = torch.stack(states, 0);
        return batched ? stacked : stacked.squeeze(1);
    }
}
