#include <sstream>

#include "flex/io/fields.hpp"

namespace flex::io {

// XDMF 2 (xdmf.org): one uniform 2DCoRectMesh grid per snapshot inside a
// temporal collection; each channel is a HyperSlab of the 4D HDF5 dataset.
std::string xdmf_text(const std::string& h5_filename, const std::string& dataset, const FieldShape& s,
                      const std::vector<std::string>& channel_names, double dx, double dy) {
  std::ostringstream x;
  x.precision(10);
  x << "<?xml version=\"1.0\" ?>\n<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n<Xdmf Version=\"2.0\">\n <Domain>\n"
    << "  <Grid Name=\"fields\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (long n = 0; n < s.n; ++n) {
    x << "   <Grid Name=\"snapshot" << n << "\" GridType=\"Uniform\">\n"
      << "    <Time Value=\"" << n << "\"/>\n"
      << "    <Topology TopologyType=\"2DCoRectMesh\" Dimensions=\"" << s.h << " " << s.w << "\"/>\n"
      << "    <Geometry GeometryType=\"ORIGIN_DXDY\">\n"
      << "     <DataItem Dimensions=\"2\" NumberType=\"Float\" Format=\"XML\">0 0</DataItem>\n"
      << "     <DataItem Dimensions=\"2\" NumberType=\"Float\" Format=\"XML\">" << dx << " " << dy << "</DataItem>\n"
      << "    </Geometry>\n";
    for (long c = 0; c < s.c; ++c) {
      const std::string name =
          c < static_cast<long>(channel_names.size()) ? channel_names[c] : "channel" + std::to_string(c);
      x << "    <Attribute Name=\"" << name << "\" AttributeType=\"Scalar\" Center=\"Node\">\n"
        << "     <DataItem ItemType=\"HyperSlab\" Dimensions=\"" << s.h << " " << s.w << "\" Type=\"HyperSlab\">\n"
        << "      <DataItem Dimensions=\"3 4\" Format=\"XML\">" << n << " " << c << " 0 0  1 1 1 1  1 1 " << s.h << " "
        << s.w << "</DataItem>\n"
        << "      <DataItem Dimensions=\"" << s.n << " " << s.c << " " << s.h << " " << s.w
        << "\" NumberType=\"Float\" Precision=\"4\" Format=\"HDF\">" << h5_filename << ":/" << dataset
        << "</DataItem>\n"
        << "     </DataItem>\n    </Attribute>\n";
    }
    x << "   </Grid>\n";
  }
  x << "  </Grid>\n </Domain>\n</Xdmf>\n";
  return x.str();
}

}  // namespace flex::io
